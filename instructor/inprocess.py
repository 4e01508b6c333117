"""Grading a notebook in this Python process, without nbgrader: the fast tests of the grading code.

:func:`grade` executes the source notebook of an assignment cell by cell in one fresh namespace, the way
``nbgrader autograde`` executes a submission: solution cells hold the reference solution or a student's answer,
test cells run with their hidden tests, an error in one cell does not stop the next, and the autograder's
environment is set (``NBGRADER_EXECUTION=autograde``, so quick mode, no progress bars, no saving; no data files,
offline). Each test cell is scored as nbgrader scores it (``nbgrader.utils.determine_grade``): zero if it raises
or writes to stderr, the number its last expression gives if there is one, full points otherwise.

It takes seconds where a real round trip takes minutes, so every catalogue answer is checked here; the nbgrader
round trip (:mod:`instructor.roundtrip`) proves the wiring on the reference, the blank and a sample.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.catalogue import Answer
from instructor.roundtrip import environment


@dataclass(frozen=True)
class CellResult:
    """One test cell's score, and why it lost points (the last line of its error, or its stderr)."""

    score: float
    max_score: float
    message: str = ""
    seconds: float = 0.0

    @property
    def full(self) -> bool:
        return self.score >= self.max_score


def _run_cell(source: str, namespace: dict) -> tuple[object, str, str]:
    """Execute one cell: its last expression's value, its error (last line, '' if none) and its stderr."""
    stderr = io.StringIO()
    value, error = None, ""
    try:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_to_stderr
            exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 - executing the notebook is the point
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)  # noqa: S307
    except BaseException as exc:  # noqa: BLE001 - a student's cell may raise anything, SystemExit included
        if isinstance(exc, KeyboardInterrupt):
            raise
        error = traceback.format_exception_only(type(exc), exc)[-1].strip() or type(exc).__name__
    return value, error, stderr.getvalue()


def _warning_to_stderr(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings go to stderr, as in a kernel (pytest would otherwise collect them, and a cell would keep points)."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _partial(value: object, max_score: float) -> float | None:
    """nbgrader's partial credit: a test cell whose value is a number scores that number (at most the maximum)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return min(float(value), max_score)
    except (TypeError, ValueError):
        return None


def grade(assignment: str, answers: dict[str, str] | None = None, *, until: str | None = None,
          only: set[str] | None = None) -> dict[str, CellResult]:
    """Score every test cell of ``assignment`` (up to and including the test cell ``until``).

    ``answers`` maps a solution cell's grade id to the source a student wrote there (the reference fills the rest).
    ``only``: the test cells to run (others are skipped; they define nothing later cells use).
    """
    answers = answers or {}
    source = nbs.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    unknown = set(answers) - {nbs.grade_id(c) for c in source.cells if nbs.is_solution(c)}
    if unknown:
        raise KeyError(f"no solution cell with grade_id {sorted(unknown)} in {assignment}")
    namespace: dict = {"__name__": "__main__"}
    results: dict[str, CellResult] = {}
    with tempfile.TemporaryDirectory() as scratch, _autograder(Path(scratch)), _cwd(Path(scratch)):
        for cell in source.cells:
            if cell.cell_type != "code":
                continue
            gid = nbs.grade_id(cell)
            if nbs.is_test(cell):
                if only is not None and gid not in only:
                    if gid == until:
                        break
                    continue
                started = time.perf_counter()
                value, error, stderr = _run_cell(cell.source, namespace)
                max_score = float(nbs.meta(cell)["points"])
                if error or stderr:
                    results[gid] = CellResult(0.0, max_score, error or stderr.strip().splitlines()[-1],
                                              time.perf_counter() - started)
                else:
                    partial = _partial(value, max_score)
                    results[gid] = CellResult(max_score if partial is None else partial, max_score,
                                              "" if partial is None else f"partial credit {partial:g}",
                                              time.perf_counter() - started)
                if gid == until:
                    break
            else:
                text = answers.get(gid) if gid in answers else nbs.solution_text(cell.source)
                _run_cell(text, namespace)
        import matplotlib.pyplot as plt

        plt.close("all")
    return results


def grade_answer(assignment: str, answer: Answer) -> dict[str, CellResult]:
    """Score the test cells a catalogue answer must lose or keep (every cell for a right answer)."""
    source = nbs.cells_by_id(nbs.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb"))
    if answer.cell not in source:
        raise KeyError(f"catalogue answer {answer.why!r} names an unknown cell {answer.cell!r}")
    edited = {answer.cell: answer.apply(source[answer.cell].source)}
    if answer.correct:
        return grade(assignment, edited)
    wanted = set(answer.loses) | set(answer.keeps)
    order = [gid for gid in source if gid in wanted]
    return grade(assignment, edited, until=order[-1] if order else None, only=wanted)


@contextlib.contextmanager
def _autograder(scratch: Path):
    empty = scratch / "no-data"
    empty.mkdir()
    with environment(NBGRADER_EXECUTION="autograde", COURSE_DATA_DIR=str(empty), COURSE_OFFLINE="1",
                     COURSE_CACHE_DIR=str(scratch / "cache"), MPLBACKEND="Agg"):
        import matplotlib

        matplotlib.use("Agg")
        yield


@contextlib.contextmanager
def _cwd(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)
