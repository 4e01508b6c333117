"""Grading a notebook in this Python process, without nbgrader: the fast tests of the grading code.

:func:`grade` executes the source notebook of an assignment cell by cell in one fresh namespace, the way
``nbgrader autograde`` executes a submission: solution cells hold the reference solution or a student's answer,
test cells run with their hidden tests, an error in one cell does not stop the next, and the autograder's
environment is set (``NBGRADER_EXECUTION=autograde``, so quick mode, no progress bars, no saving; no data files,
offline). Each test cell is scored as nbgrader scores it (``nbgrader.utils.determine_grade``): zero if it raises
or writes to stderr, the number its last expression shows if it shows one, full points otherwise.

It takes seconds where a real round trip takes minutes, so every catalogue answer is checked here; the nbgrader
round trip (:mod:`instructor.roundtrip`) proves the wiring on the reference, the blank and a sample.

:func:`run_cells` executes a notebook the same way and returns what each code cell shows (its stdout, stderr, the
value it displays, the figures it leaves open), as graded or as a student runs the release.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.catalogue import Answer
from instructor.roundtrip import environment

_NUMPY_ERRORS = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}


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


def _run_cell(source: str, namespace: dict, stdout: io.StringIO | None = None) -> tuple[object, str, str]:
    """Execute one cell: its last expression's value, its error (last line, '' if none) and its stderr.

    What it prints goes to ``stdout`` when given, else nowhere."""
    stderr, stdout = io.StringIO(), io.StringIO() if stdout is None else stdout
    value, error = None, ""
    try:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout), \
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
    """nbgrader's partial credit (``nbgrader.utils.get_partial_grade``) on the text IPython shows for ``value``.

    None shows nothing (full points); text that is a number from 0 to the maximum is the score; any other text
    or a negative number gives full points; a number above the maximum stops nbgrader (ValueError).
    """
    if value is None:
        return None
    from IPython.lib.pretty import pretty

    try:
        number = float(pretty(value))
    except ValueError:
        return max_score
    if number > max_score:
        raise ValueError(f"partial credit {number} is above the cell's {max_score} points: nbgrader stops here")
    return number if number >= 0 else max_score


def source_notebook(assignment: str) -> NotebookNode:
    return nbs.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")


def cell_key(cell: NotebookNode) -> str:
    """How a code cell is known across the source, the release and a submission: its grade id, else its cell id."""
    return nbs.grade_id(cell) or cell.get("id", "")


def grade(assignment: str | NotebookNode, answers: dict[str, str] | None = None, *, until: str | None = None,
          only: set[str] | None = None, data_dir: Path | None = None, files: tuple[Path, ...] = (),
          seconds: dict[str, float] | None = None) -> dict[str, CellResult]:
    """Score every test cell of ``assignment`` (up to and including the test cell ``until``).

    ``assignment``: its name (its source notebook is graded) or a source notebook itself.
    ``answers`` maps a solution cell's grade id to the source a student wrote there (the reference fills the rest).
    ``only``: the test cells to run (others are skipped; they define nothing later cells use).
    ``data_dir``: the datasets the grader has (default: none, the generated stand-ins); ``files``: files handed in
    beside the notebook (weights). ``seconds``, when given, receives every code cell's time (:func:`cell_key`).
    """
    answers = answers or {}
    source = source_notebook(assignment) if isinstance(assignment, str) else assignment
    unknown = set(answers) - {nbs.grade_id(c) for c in source.cells if nbs.is_solution(c)}
    if unknown:
        raise KeyError(f"no solution cell with grade_id {sorted(unknown)} in {assignment}")
    namespace: dict = {"__name__": "__main__"}
    results: dict[str, CellResult] = {}
    with _scratch_folder(_autograder, data_dir, files):
        for cell in source.cells:
            if cell.cell_type != "code":
                continue
            gid = nbs.grade_id(cell)
            cell_started = time.perf_counter()
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
                    score = max_score if partial is None else partial
                    note = "" if score == max_score else f"partial credit {score:g}"
                    results[gid] = CellResult(score, max_score, note, time.perf_counter() - started)
            else:
                text = answers.get(gid) if gid in answers else nbs.solution_text(cell.source)
                _run_cell(text, namespace)
            if seconds is not None:
                seconds[cell_key(cell)] = time.perf_counter() - cell_started
            if gid is not None and gid == until:
                break
        import matplotlib.pyplot as plt

        plt.close("all")
        _restore_process_state()
    return results


def _restore_process_state() -> None:
    """Undo what a notebook may set for the whole process (notebook 06 flushes denormal floats to zero; an answer to
    09's evaluate may switch gradients off for good)."""
    import numpy as np

    np.seterr(**_NUMPY_ERRORS)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_flush_denormal(False)
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)


def grade_answer(assignment: str, answer: Answer) -> dict[str, CellResult]:
    """Score the test cells a catalogue answer must lose or keep (every cell for a right answer)."""
    source = nbs.cells_by_id(source_notebook(assignment))
    if answer.cell not in source:
        raise KeyError(f"catalogue answer {answer.why!r} names an unknown cell {answer.cell!r}")
    edited = {answer.cell: answer.apply(source[answer.cell].source)}
    if answer.correct:
        return grade(assignment, edited)
    wanted = set(answer.loses) | set(answer.keeps)
    order = [gid for gid in source if gid in wanted]
    return grade(assignment, edited, until=order[-1] if order else None, only=wanted)


@dataclass(frozen=True)
class CellOutput:
    """What one code cell shows when it runs, as a kernel would show it.

    ``shown`` is the text of the value its last expression displays (an ``execute_result``; None when nothing is
    displayed: no expression, a None value, or a trailing ``;``); ``figures`` counts the figures it leaves open,
    which the inline backend displays (``display_data``) and closes after the cell.
    """

    key: str
    source: str
    stdout: str
    stderr: str
    error: str
    shown: str | None
    figures: int


def visible_text(source: str) -> str:
    """A test cell as the student sees it in the release: the hidden-test regions (markers included) removed."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if nbs.BEGIN_HIDDEN in line:
            hidden = True
        elif nbs.END_HIDDEN in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def run_cells(assignment: str | NotebookNode, *, as_student: bool = False, data_dir: Path | None = None,
              files: tuple[Path, ...] = ()) -> list[CellOutput]:
    """Execute every code cell of the reference of ``assignment`` in order and return what each showed.

    By default as :func:`grade` runs it (the autograder's environment, test cells with their hidden tests).
    ``as_student``: as a student who solved every task runs the release: the hidden tests removed, not under the
    autograder (in quick mode, as the tests and the demo run it; offline, the generated stand-in data), so the
    notebook saves what it trains. ``data_dir`` and ``files`` as for :func:`grade`.
    """
    import matplotlib.pyplot as plt
    from IPython.lib.pretty import pretty

    source = source_notebook(assignment) if isinstance(assignment, str) else assignment
    namespace: dict = {"__name__": "__main__"}
    outputs: list[CellOutput] = []
    with _scratch_folder(_student if as_student else _autograder, data_dir, files):
        for cell in source.cells:
            if cell.cell_type != "code":
                continue
            text = nbs.solution_text(cell.source)
            if as_student and nbs.is_test(cell):
                text = visible_text(text)
            stdout = io.StringIO()
            value, error, stderr = _run_cell(text, namespace, stdout)
            shown = None if value is None or text.rstrip().endswith(";") else pretty(value)
            outputs.append(CellOutput(cell_key(cell), text, stdout.getvalue(), stderr, error, shown,
                                      len(plt.get_fignums())))
            plt.close("all")
        _restore_process_state()
    return outputs


@contextlib.contextmanager
def _scratch_folder(setting, data_dir: Path | None, files):
    """A scratch folder as the notebook's working directory, under ``setting`` (:func:`_autograder` or
    :func:`_student`), with the handed-in ``files`` copied in."""
    with tempfile.TemporaryDirectory() as scratch, setting(Path(scratch), data_dir), _cwd(Path(scratch)):
        for path in files:
            shutil.copy(path, Path(scratch) / path.name)
        yield Path(scratch)


@contextlib.contextmanager
def _autograder(scratch: Path, data_dir: Path | None = None):
    if data_dir is None:
        data_dir = scratch / "no-data"
        data_dir.mkdir()
    with environment(NBGRADER_EXECUTION="autograde", COURSE_DATA_DIR=str(data_dir), COURSE_OFFLINE="1",
                     COURSE_CACHE_DIR=str(scratch / "cache"), MPLBACKEND="Agg"):
        import matplotlib

        matplotlib.use("Agg")
        yield


@contextlib.contextmanager
def _student(scratch: Path, data_dir: Path | None = None):
    """A student's own run: not under nbgrader, quick mode, offline, the data in ``data_dir`` (default: none)."""
    if data_dir is None:
        data_dir = scratch / "no-data"
        data_dir.mkdir()
    graded = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        with environment(COURSE_QUICK="1", COURSE_DATA_DIR=str(data_dir), COURSE_OFFLINE="1",
                         COURSE_CACHE_DIR=str(scratch / "cache"), MPLBACKEND="Agg"):
            import matplotlib

            matplotlib.use("Agg")
            yield
    finally:
        if graded is not None:
            os.environ["NBGRADER_EXECUTION"] = graded


@contextlib.contextmanager
def _cwd(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)
