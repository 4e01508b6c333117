"""Short failures in a real kernel: one block for a failed check or an unfinished task, still an error for nbgrader."""

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from helpers.failures import FOOTER, without_course_frames

SETUP = "import numpy as np\nfrom helpers.checks import call_quietly, expect_close"
STUB = "def gelu(x):\n    raise NotImplementedError(\"Task 'gelu' is not done yet: replace this line with your code.\")"


def _run(*sources: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (SETUP, *sources)])
    NotebookClient(nb, kernel_name="python3", allow_errors=True).execute()
    return nb.cells[1:]


def _graded(cell):
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1, "grade_id": "t"}
    return determine_grade(cell)[0]


def _shown(cell) -> str:
    """The traceback text the notebook shows, colours removed."""
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(line for o in cell.outputs for line in o.get("traceback", [])))


@pytest.fixture(scope="module")
def cells():
    return _run(STUB, "call_quietly(gelu, 1.0)",
                "expect_close(np.ones(3), np.zeros(3), 'gelu(x)')",
                "def f(x):\n    return x @ np.ones((4, 2))\ncall_quietly(f, np.ones((2, 3)))",
                "%tb")


def test_an_unfinished_task_shows_one_short_block_naming_it(cells):
    shown = _shown(cells[1])
    assert "Not done yet" in shown and "Task 'gelu' is not done yet" in shown and FOOTER in shown
    assert len(shown.splitlines()) == 3 and "Traceback" not in shown and "helpers" not in shown
    assert _graded(cells[1]) == 0, "nbgrader must still score the cell zero"


def test_a_failed_check_shows_what_was_expected_and_what_came_back(cells):
    shown = _shown(cells[2])
    assert "Check failed: gelu(x)" in shown and "1 where 0 was expected" in shown
    assert "expect_close" not in shown and "checks/__init__.py" not in shown
    assert [o.ename for o in cells[2].outputs] == ["CheckFailed"] and _graded(cells[2]) == 0


def test_other_errors_keep_the_students_lines_and_lose_the_courses(cells):
    shown = _shown(cells[3])
    assert "ValueError" in shown and "return x @ np.ones((4, 2))" in shown
    assert "call_quietly" in shown, "the student's own line calling the check stays"
    assert "helpers/checks" not in shown and "with quiet():" not in shown
    assert _graded(cells[3]) == 0


def test_percent_tb_shows_the_full_traceback(cells):
    assert "helpers/checks/__init__.py" in _shown(cells[4]) and "with quiet():" in _shown(cells[4])


def test_full_tracebacks_on_request(monkeypatch):
    monkeypatch.setenv("COURSE_FULL_TRACEBACKS", "1")
    (failed,) = _run("expect_close(1.0, 2.0, 'y')")
    assert "helpers/checks/__init__.py" in _shown(failed) and _graded(failed) == 0


def test_dropping_course_frames_keeps_the_others():
    import sys

    def inner():
        raise ValueError("x")

    try:
        from helpers.checks import call_quietly

        call_quietly(inner)
    except ValueError:
        tb = sys.exc_info()[2]
    names = []
    kept = without_course_frames(tb)
    while kept is not None:
        names.append(kept.tb_frame.f_code.co_name)
        kept = kept.tb_next
    assert names == ["test_dropping_course_frames_keeps_the_others", "inner"]
