"""A student's and an instructor's first minutes in JupyterLab, in a real browser (under a minute).

The student opens notebook 01's release, runs the public check of the first task while its stub is still there
and reads a short message naming the task, types an answer into the cell, runs the check again and reads
``[ok]``, then runs the hand-in cell: it saves the notebook through JupyterLab and lists the cells still open.
The instructor opens the formgrader from the Nbgrader menu and sees the assignments. Every step is a click or a
key press (the answer itself goes in as one input event, as a paste does); a screenshot of each goes to the folder
the test prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from instructor import notebooks as nbs
from instructor.course import Course, assignments

pytestmark = pytest.mark.browser

ASSIGNMENT = assignments()[0]  # the course's first, released in the scratch course (conftest.py)

LOAD_S = 90  # JupyterLab's page and a kernel that imports the course's helpers
RUN_S = 60  # a few cells of notebook 01
STUB = re.compile(r"""NotImplementedError\(["']Task '(?P<task>[^']+)' is not done yet""")


@dataclass(frozen=True)
class Walk:
    """Where the cells of the walk-through are: indices into the notebook's cells (markdown ones included)."""

    imports: int
    stub: int
    check: int
    task: str
    answer: str


def first_task(course: Course) -> Walk:
    """The first task whose release stub raises "Task '<grade_id>' is not done yet", its check and its answer."""
    release = nbs.read(course.release_path(ASSIGNMENT))
    reference = nbs.cells_by_id(nbs.read(course.source_path(ASSIGNMENT)))
    imports = next(i for i, cell in enumerate(release.cells) if cell.cell_type == "code")
    for index, cell in enumerate(release.cells):
        match = STUB.search(cell.source) if nbs.is_solution(cell) else None
        if match and match.group("task") == nbs.grade_id(cell):
            check = next(j for j in range(index + 1, len(release.cells)) if nbs.is_test(release.cells[j]))
            answer = nbs.solution_text(reference[nbs.grade_id(cell)].source)
            return Walk(imports, index, check, match.group("task"), answer)
    raise AssertionError(f"no task stub in {course.release_path(ASSIGNMENT)}")


# -- JupyterLab, seen through Selenium ------------------------------------------------------------------------------

def shooter(browser, folder: Path, prefix: str) -> Callable[[str], Path]:
    """``shoot(name)`` saves a screenshot of the whole window as ``<prefix>-<n>-<name>.png``."""
    count = iter(range(1, 100))

    def shoot(name: str) -> Path | None:
        path = folder / f"{prefix}-{next(count):02d}-{name}.png"
        try:
            browser.switch_to.default_content()  # the whole window, also from inside an iframe
            browser.save_screenshot(str(path))
        except Exception:  # noqa: BLE001 - a browser that died cannot be shown; its test says why
            if name != "failure":
                raise
            return None
        return path

    return shoot


def wait(browser, seconds: float, condition, message: Callable[[], str] | str):
    """Wait for ``condition(browser)`` to be truthy; on a timeout, fail with ``message`` (called if callable)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, seconds, poll_frequency=0.1).until(condition)
    except TimeoutException:
        raise AssertionError(message() if callable(message) else message) from None


def cells(browser) -> list:
    from selenium.webdriver.common.by import By

    return browser.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def text_of(element) -> str:
    return element.get_attribute("textContent") or ""


def prompt(cell) -> str:
    """A code cell's prompt: ``[ ]:`` before it runs, ``[*]:`` while it waits or runs, ``[3]:`` after."""
    from selenium.webdriver.common.by import By

    return text_of(cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt")).strip()


def outputs(cell) -> str:
    from selenium.webdriver.common.by import By

    return "\n".join(text_of(o) for o in cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))


def editor_text(cell) -> str:
    from selenium.webdriver.common.by import By

    return "\n".join(text_of(line) for line in cell.find_elements(By.CSS_SELECTOR, ".cm-content .cm-line"))


def kernel_status(browser) -> str | None:
    """The kernel's status the notebook's toolbar shows (``idle``, ``busy``, ...), None when it shows none."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR,
                                  ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator")
    return found[0].get_attribute("data-status") if found else None


def kernel_idle(browser) -> bool:
    return kernel_status(browser) == "idle"


def executed_after(index: int, before: str):
    """A condition: the cell ``index`` shows an execution count other than ``before`` and the kernel is idle."""

    def done(browser) -> bool:
        shown = prompt(cells(browser)[index])
        return bool(re.fullmatch(r"\[\d+\]:", shown)) and shown != before and kernel_idle(browser)

    return done


def shift_enter(browser, times: int = 1) -> None:
    """Shift+Enter: run the active cell and select the next one, as a student does."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(browser)
    for _ in range(times):
        chain.key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)
    chain.perform()


def click_editor(browser, index: int) -> None:
    """Click into a cell's editor (edit mode on that cell)."""
    from selenium.webdriver.common.by import By

    editor = cells(browser)[index].find_element(By.CSS_SELECTOR, ".cm-content")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
    editor.click()
    wait(browser, 10, lambda b: b.execute_script("return document.activeElement === arguments[0]", editor),
         f"cell {index}'s editor did not take the focus after a click")


def replace_editor_text(browser, text: str) -> None:
    """Select everything in the focused editor, delete it and enter ``text``.

    ``text`` goes in as one input event (Chrome's ``Input.insertText``, what an input method or a paste sends),
    not key by key: CodeMirror indents each new line and closes brackets as one types, which would garble code
    typed character by character.
    """
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(Keys.BACKSPACE).perform()
    browser.execute_cdp_cmd("Input.insertText", {"text": text})


def open_menu_item(browser, menu: str, item: str) -> None:
    """Click ``menu`` in JupyterLab's menu bar, then its entry ``item``."""
    from selenium.webdriver.common.by import By

    def labelled(selector: str, label: str):
        def find(b):
            return next((e for e in b.find_elements(By.CSS_SELECTOR, selector)
                         if e.is_displayed() and text_of(e).strip() == label), None)

        return find

    wait(browser, LOAD_S, labelled(".lm-MenuBar-itemLabel", menu), f"no menu {menu!r} in JupyterLab's menu bar").click()
    wait(browser, 10, labelled(".lm-Menu-itemLabel", item), f"no entry {item!r} in the menu {menu!r}").click()


# -- the tests -------------------------------------------------------------------------------------------------------

def test_a_student_runs_a_public_check_before_and_after_writing_the_task(course, server, browser, screenshots):
    walk = first_task(course)
    path = course.release_path(ASSIGNMENT).relative_to(course.root).as_posix()
    shoot = shooter(browser, screenshots, "notebook")
    print(f"screenshots: {screenshots}")
    try:
        browser.get(server.lab(path))
        wait(browser, LOAD_S, lambda b: len(cells(b)) > walk.check and server.kernel_ready(path) and kernel_idle(b),
             lambda: f"JupyterLab did not show {path} with an idle kernel within {LOAD_S} s: {len(cells(browser))} "
                     f"cells, status {kernel_status(browser)!r} in the toolbar; the server's sessions: "
                     f"{server.api('sessions')}; its log:\n{server.log_tail()}")
        shoot("opened")

        # The imports, the task's text, the stub and the public check: Shift+Enter from the imports cell on.
        before = prompt(cells(browser)[walk.check])
        click_editor(browser, walk.imports)
        shift_enter(browser, walk.check - walk.imports + 1)
        wait(browser, RUN_S, executed_after(walk.check, before),
             lambda: f"the public check (cell {walk.check}) did not run; it shows {prompt(cells(browser)[walk.check])}")
        failed = outputs(cells(browser)[walk.check])
        shoot("check-on-the-stub")
        assert re.search(rf"['\"`]{re.escape(walk.task)}['\"`]", failed), (
            f"the check on the stub should name the task {walk.task!r}; its output:\n{failed}")
        assert "[ok]" not in failed, f"the check passed on the stub:\n{failed}"
        assert "Traceback" not in failed and len(failed.strip().splitlines()) <= 4, f"not a short message:\n{failed}"
        imports_output = outputs(cells(browser)[walk.imports])
        assert "Error" not in imports_output, f"the imports cell failed:\n{imports_output}"

        # The answer replaces the stub; Shift+Enter twice runs it and the check again.
        click_editor(browser, walk.stub)
        replace_editor_text(browser, walk.answer)
        wait(browser, 10, lambda b: editor_text(cells(b)[walk.stub]) == walk.answer,
             lambda: f"the cell does not hold the answer typed in; it holds:\n{editor_text(cells(browser)[walk.stub])}")
        shoot("answer-typed")
        before = prompt(cells(browser)[walk.check])
        shift_enter(browser, 2)
        wait(browser, RUN_S, executed_after(walk.check, before),
             lambda: f"the public check did not run again; it shows {prompt(cells(browser)[walk.check])}")
        passed = outputs(cells(browser)[walk.check])
        shoot("check-passes")
        assert "[ok]" in passed, f"the check should pass on the reference answer; its output:\n{passed}"
        assert not outputs(cells(browser)[walk.stub]), "the answer's cell printed something (an error?)"

        # The hand-in cell at the end: it saves the notebook through JupyterLab, then lists what is still open.
        last = len(cells(browser)) - 1
        before = prompt(cells(browser)[last])
        click_editor(browser, last)
        replace_editor_text(browser, 'from helpers.report import make_report\nmake_report("Test Student")')
        shift_enter(browser)
        wait(browser, RUN_S, executed_after(last, before),
             lambda: f"the hand-in cell did not run; it shows {prompt(cells(browser)[last])}")
        said = outputs(cells(browser)[last])
        shoot("hand-in-cell")
        assert "[report] not written" in said and "has not been run" in said, said
        assert "not what this kernel ran" not in said, f"make_report could not save the notebook:\n{said}"
        saved = nbs.read(course.root / path)
        assert walk.answer in saved.cells[walk.stub].source, "the notebook on disk does not hold the typed answer"
    except BaseException:
        shoot("failure")
        raise


def test_an_instructor_sees_the_assignments_in_the_formgrader(course, server, browser, screenshots):
    from selenium.webdriver.common.by import By

    shoot = shooter(browser, screenshots, "formgrader")
    print(f"screenshots: {screenshots}")
    expected = assignments(course.root)
    try:
        browser.get(server.lab(reset=True))  # whatever the last test left open stays closed
        open_menu_item(browser, "Nbgrader", "Formgrader")
        frame = wait(browser, LOAD_S, lambda b: next(
            (f for f in b.find_elements(By.CSS_SELECTOR, "iframe") if "formgrader" in (f.get_attribute("src") or "")),
            None), "the Formgrader did not open in JupyterLab")

        def assignments_listed(b) -> list[str] | None:
            names = [text_of(a).strip() for a in b.find_elements(By.CSS_SELECTOR, "td.name a")]
            return names if len(names) >= len(expected) else None

        browser.switch_to.frame(frame)
        listed = wait(browser, LOAD_S, assignments_listed,
                      lambda: f"the formgrader does not list the {len(expected)} assignments; "
                              f"server log:\n{server.log_tail()}")
        browser.switch_to.default_content()

        def course_root_shown(b) -> bool:
            """The file browser beside it shows the course root (the formgrader's course is JupyterLab's root),
            every entry drawn (they are laid out one after the other)."""
            items = b.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item")
            names = [text_of(e.find_element(By.CSS_SELECTOR, ".jp-DirListing-itemText")).strip() for e in items]
            return "nbgrader_config.py" in names and all(e.is_displayed() for e in items)

        wait(browser, 30, course_root_shown, "JupyterLab's file browser does not show the course root")
        shoot("assignments")
        assert sorted(listed) == sorted(expected)
    except BaseException:
        shoot("failure")
        raise


def test_labs_terminal_finds_the_course_commands(server):
    """A terminal opened in JupyterLab finds the course's ``course-report`` and ``nbgrader``, although its login
    shell reads /etc/profile (which sets PATH afresh on Debian): asked through the terminal's own websocket.
    (``python`` there may still be another one, when ~/.bashrc puts pyenv's or conda's first.)"""
    import asyncio
    import json
    import sys
    import urllib.request

    from tornado.websocket import websocket_connect

    request = urllib.request.Request(f"{server.url}/api/terminals", method="POST",
                                     headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        name = json.load(response)["name"]

    async def ask(command: str) -> str:
        url = f"{server.url.replace('http', 'ws', 1)}/terminals/websocket/{name}?token={server.token}"
        socket = await websocket_connect(url)
        await socket.write_message(json.dumps(["stdin", f'{command}; echo "EN""D"\r']))
        said = ""
        while "\nEND" not in said.replace("\r", ""):
            message = await asyncio.wait_for(socket.read_message(), 30)
            if message is None:
                break
            kind, *rest = json.loads(message)
            said += rest[0] if kind == "stdout" else ""
        socket.close()
        return said.replace("\r", "")

    said = asyncio.run(ask("command -v course-report nbgrader"))
    bin_dir = str(Path(sys.executable).parent)
    found = re.findall(r"(/\S+/(?:course-report|nbgrader))\s*$", said, flags=re.M)
    assert found == [f"{bin_dir}/course-report", f"{bin_dir}/nbgrader"], said
