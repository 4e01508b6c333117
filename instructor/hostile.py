"""Hostile and broken submissions of notebook 01, for the tests of the grading (never released).

Each is the reference solution with one thing done to it: code that patches what the grading relies on, reads the
hidden tests, signals the grader, ends its own process, loops, eats memory, or a notebook handed in broken (test
cells deleted or emptied, grade ids duplicated, renamed, not JSON). :func:`run` grades them in one batch with two
honest students, with :mod:`instructor.grade`, in a scratch course; ``tests/grading/test_hostile.py`` checks
that every honest student keeps every point, each case is flagged and earns nothing from its trick, and nothing
outside the submissions' scratch copies is modified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from instructor import notebooks as nbs
from instructor.course import Course

ASSIGNMENT = "01_gelu_gradient_descent"


@dataclass(frozen=True)
class Case:
    """A submission: what it does (``change`` edits the reference notebook in place), the flag it must raise,
    and the score it must get: ``zero``; ``partial`` (the cells before the trouble, none after it); ``full`` (the
    trick changes nothing that is graded: a test cell restored by nbgrader, a memory hog in an ungraded cell)."""

    student: str
    change: Callable[[NotebookNode], None]
    flag: str
    score: str = "zero"


def _insert(code: str, after: str | None = None) -> Callable[[NotebookNode], None]:
    """Insert a code cell after the cell with grade id ``after`` (default: right after the imports)."""
    def change(notebook: NotebookNode) -> None:
        index = 1 if after is None else next(i for i, c in enumerate(notebook.cells) if nbs.grade_id(c) == after)
        notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return change


def _loop_in(task: str) -> Callable[[NotebookNode], None]:
    """The function of ``task`` starts with a loop that even an interrupt does not end."""
    def change(notebook: NotebookNode) -> None:
        cell = next(c for c in notebook.cells if nbs.grade_id(c) == task)
        lines = cell.source.split("\n")
        start = next(i for i, line in enumerate(lines) if line.startswith("def "))
        lines.insert(start + 1, "    while True:\n        try:\n            pass\n        except KeyboardInterrupt:\n"
                                "            pass")
        cell.source = "\n".join(lines)
    return change


def _duplicate_ids(notebook: NotebookNode) -> None:
    tests = [c for c in notebook.cells if nbs.is_test(c)]
    tests[1].metadata["nbgrader"]["grade_id"] = nbs.grade_id(tests[0])


def _delete_tests(notebook: NotebookNode) -> None:
    notebook.cells = [c for c in notebook.cells if not nbs.is_test(c)]


def _empty_tests(notebook: NotebookNode) -> None:
    for cell in notebook.cells:
        if nbs.is_test(cell):
            cell.source = "pass"


CASES = (
    Case("patches-numpy", _insert("import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                  "np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)"), "tampering"),
    Case("patches-builtins", _insert("import builtins\nbuiltins.abs = lambda x: 0 * x"), "tampering"),
    Case("patches-helpers", _insert("import helpers.checks as hc\nhc.expect_close = lambda *a, **k: None"),
         "tampering"),
    Case("returns-a-lying-number", _insert(
        "class Anything(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "def sigmoid(x):\n    return Anything(0.5)", after="sigmoid"), "tampering", "partial"),
    Case("hooks-ipython", _insert("get_ipython().events.register('post_run_cell', lambda result: None)"),
         "tampering"),
    Case("silences-errors", _insert("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"),
         "tampering"),
    Case("reads-hidden-tests", _insert(
        "import glob, pathlib, instructor.grading\n"
        "for path in [*pathlib.Path(instructor.grading.__file__).parent.glob('a*.py'), "
        "*glob.glob('../../../source/*/*.ipynb'), '../../../gradebook.db']:\n"
        "    try:\n        print(len(open(path, 'rb').read()))\n    except OSError as error:\n        print(error)"),
         "tampering"),
    Case("kills-the-grader", _insert("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                     "os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)"), "tampering"),
    Case("ends-its-process", _insert("import os\nos._exit(3)", after="test_gelu"), "crash", "partial"),
    Case("loops-forever", _loop_in("find_minimum"), "timeout", "partial"),
    Case("eats-memory", _insert("import numpy as np\nhog = np.ones(2**30)  # 8 GiB", after="test_sigmoid"),
         "memory", "full"),
    Case("duplicates-grade-ids", _duplicate_ids, "duplicated grade ids"),
    Case("deletes-tests", _delete_tests, "test cells deleted"),
    Case("empties-tests", _empty_tests, "test cells changed", "full"),
)
HONEST = ("honest-a", "honest-z")  # before and after every hostile student, in the order they are graded


def submit_batch(course: Course) -> None:
    release, source = nbs.read(course.release_path(ASSIGNMENT)), nbs.read(course.source_path(ASSIGNMENT))
    for student in HONEST:
        course.submit_reference(student, ASSIGNMENT)
    for case in CASES:
        notebook = nbs.fill_in(release, source)
        case.change(notebook)
        course.submit(case.student, ASSIGNMENT, notebook)
    renamed = course.submission_folder("renames-notebook", ASSIGNMENT)
    renamed.mkdir(parents=True)
    nbs.write(nbs.fill_in(release, source), renamed / "my_solution.ipynb")
    broken = course.submission_folder("hands-in-broken-json", ASSIGNMENT)
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ this is not json')


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder``: (size, mtime in ns)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@dataclass
class Batch:
    course: Course
    outcomes: dict  # student -> instructor.grade.Outcome
    before: dict[str, dict[str, tuple[int, int]]]  # folder -> listing, before grading
    after: dict[str, dict[str, tuple[int, int]]]


def run(workdir: Path) -> Batch:
    """Grade the hostile batch with ``python -m instructor.grade``'s code, in a scratch course under ``workdir``."""
    from instructor import REPO_ROOT
    from instructor.grade import grade

    course = Course.scratch(workdir, only=[ASSIGNMENT])
    course.generate(ASSIGNMENT)
    submit_batch(course)
    watched = {"source": course.root / "source", "release": course.root / "release",
               "submitted": course.root / "submitted", "repository source": REPO_ROOT / "source",
               "repository instructor": REPO_ROOT / "instructor"}
    before = {name: listing(folder) for name, folder in watched.items()}
    outcomes = {o.student: o for o in grade(course, ASSIGNMENT)}
    after = {name: listing(folder) for name, folder in watched.items()}
    return Batch(course, outcomes, before, after)
