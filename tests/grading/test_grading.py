"""Tests of the grading: the real ``nbgrader autograde`` on reference, blank and catalogue students."""

from __future__ import annotations

import filecmp
import re
import sys

import pytest

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.course import Course, autograde_timeout
from instructor.feedback import feedback_text, leaked_lines

pytestmark = pytest.mark.grading


def _errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


def _stderr(cell) -> str:
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr")


def test_reference_gets_full_marks(assignment, run_of):
    rt = run_of(assignment)
    lost = {cell: (s.score, s.max_score) for cell, s in rt.scores["reference"].items()
            if s.auto and s.score != s.max_score}
    failures = {nbs.grade_id(c): _errors(c) for c in rt.autograded("reference").cells if nbs.grade_id(c) in lost}
    assert not lost, f"the reference solution loses points: {lost}; errors: {failures}"
    assert rt.auto_total("reference")[1] > 0


def test_reference_writes_nothing_to_stderr(assignment, run_of):
    noisy = {nbs.grade_id(c) or f"cell {i}": _stderr(c)[:300]
             for i, c in enumerate(run_of(assignment).autograded("reference").cells) if _stderr(c)}
    assert not noisy, f"cells write to stderr under the autograder (a test cell would score zero): {noisy}"


def test_blank_release_scores_zero_and_names_each_task(assignment, run_of):
    rt = run_of(assignment)
    score, maximum = rt.auto_total("blank")
    assert maximum > 0 and score == 0, f"the untouched release scores {score}/{maximum}"
    notebook = rt.autograded("blank")
    tasks = [nbs.grade_id(c) for c in notebook.cells if nbs.is_solution(c) and c.cell_type == "code"]
    messages = " ".join(e for c in notebook.cells for e in _errors(c))
    unnamed = [t for t in tasks if f"Task '{t}' is not done yet" not in messages]
    assert not unnamed, f"no error of the blank notebook names these tasks: {unnamed}"
    for cell in notebook.cells:
        if nbs.is_test(cell):
            assert _errors(cell), f"test cell {nbs.grade_id(cell)} raised no error on the blank release"


def test_wrong_answer_loses_points(wrong_answer, run_of):
    assignment, label = wrong_answer
    rt = run_of(assignment)
    assert label in rt.answers, f"catalogue of {assignment} could not be loaded: {label}"
    answer, student = rt.answers[label], rt.holder[label]
    for target in answer.loses:
        cell = rt.scores[student][target]
        together = [f"{a.cell}: {a.why}" for a in rt.held_by(student)]
        assert cell.score < cell.max_score, (f"wrong answer '{answer.why}' to {answer.cell} keeps full marks on "
                                             f"{target} (handed in by {student}: {together})")
    for other in answer.keeps:  # a test cell that uses this piece but grades another one
        cell = rt.scores[student][other]
        assert cell.score == cell.max_score, \
            f"wrong answer '{answer.why}' to {answer.cell} also costs points on {other}, which grades another task"


def test_right_answer_keeps_full_marks(right_answer, run_of):
    assignment, label = right_answer
    rt = run_of(assignment)
    assert label in rt.answers, f"catalogue of {assignment} could not be loaded: {label}"
    student = rt.holder[label]
    lost = {c: s.score for c, s in rt.scores[student].items() if s.auto and s.score != s.max_score}
    errors = {nbs.grade_id(c): _errors(c) for c in rt.autograded(student).cells if nbs.grade_id(c) in lost}
    together = [f"{a.cell}: {a.why}" for a in rt.held_by(student)]
    assert not lost, f"correct answers {together} (handed in together by {student}) lose points: {errors}"


def test_catalogue_covers_every_test_cell(assignment, run_of):
    rt = run_of(assignment)
    targeted = {t for a in rt.answers.values() for t in a.loses}
    tests = set(nbs.test_points(nbs.read(rt.course.source_path(assignment))))
    assert tests <= targeted, f"no wrong answer in the catalogue targets {sorted(tests - targeted)}"
    assert any(a.correct for a in rt.answers.values()), "the catalogue has no alternative correct answer"


def test_committed_release_is_fresh(assignment, run_of):
    fresh = run_of(assignment).course.root / "release" / assignment
    committed = REPO_ROOT / "release" / assignment
    assert committed.is_dir(), f"release/{assignment} is missing: run `make release`"
    comparison = filecmp.dircmp(fresh, committed)
    extra = comparison.left_only + comparison.right_only
    assert not extra, f"release/ and a fresh generate_assignment differ in files: {extra}"
    stale = [f for f in comparison.common_files if not filecmp.cmp(fresh / f, committed / f, shallow=False)]
    assert not stale, f"release/{assignment} differs from a fresh generate_assignment: {stale}; run `make release`"


def _solution_lines(assignment: str) -> set[str]:
    """Distinctive lines of the reference solutions (long enough not to occur by chance)."""
    source = nbs.read(Course(REPO_ROOT).source_path(assignment))
    lines = set()
    for cell in source.cells:
        if nbs.is_solution(cell) and cell.cell_type == "code":
            for line in nbs.region_text(cell.source).split("\n"):
                line = line.strip()
                if len(line) >= 24 and not line.startswith("#"):
                    lines.add(line)
    return lines


def _hidden_lines(assignment: str) -> set[str]:
    return nbs.hidden_test_lines(nbs.read(Course(REPO_ROOT).source_path(assignment)))


def test_release_holds_no_solution_and_no_hidden_test(assignment):
    text = (REPO_ROOT / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in (nbs.BEGIN, nbs.END, nbs.BEGIN_HIDDEN, nbs.END_HIDDEN):
        assert marker not in text, f"release/{assignment} contains {marker!r}"
    released = nbs.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb")
    released_lines = {line.strip() for c in released.cells if c.cell_type == "code" for line in c.source.split("\n")}
    leaked = sorted((_solution_lines(assignment) | _hidden_lines(assignment)) & released_lines)
    assert not leaked, f"solution or hidden-test lines appear in the release: {leaked[:5]}"


def test_helpers_hold_no_solution(assignment):
    helpers_code = "\n".join(p.read_text() for p in (REPO_ROOT / "helpers").rglob("*.py"))
    leaked = [line for line in _solution_lines(assignment) if re.search(re.escape(line), helpers_code)]
    assert not leaked, f"helpers/ contains solution lines of {assignment}: {leaked[:5]}"


def test_cells_stay_well_below_the_autograde_timeout(assignment, run_of):
    """Every cell of the reference runs in under a quarter of ``c.Execute.timeout`` when autograded."""
    timeout = autograde_timeout()
    seconds = run_of(assignment).cell_seconds("reference")
    assert seconds, "the autograded notebook records no execution times: this test would see nothing"
    slow = {cell: s for cell, s in seconds.items() if s > timeout / 4}
    assert not slow, f"cells too close to the {timeout:.0f} s autograde timeout: {slow}"


def test_feedback_shows_no_hidden_test(assignment, run_of):
    """Students read feedback: every test cell's score and message, and no line of any hidden test."""
    rt = run_of(assignment)
    hidden = _hidden_lines(assignment)
    files = sorted((rt.course.root / "feedback").rglob("*.html"))
    assert len(files) == len(rt.scores), f"{len(files)} feedback files for {len(rt.scores)} students"
    leaks = {f.parent.parent.name: leaked_lines(feedback_text(f), hidden - rt.own_lines(f.parent.parent.name))[:3]
             for f in files}
    leaks = {student: lines for student, lines in leaks.items() if lines}
    assert not leaks, f"hidden-test lines reach the feedback: {leaks}"
    blank = feedback_text(rt.course.feedback_path("blank", assignment))
    assert "is not done yet" in blank, "the feedback should keep the message of each failure"


def test_feedback_shows_no_folder_of_the_grading_machine(assignment, run_of):
    """Feedback names ``<course>``, ``<data>`` and ``<python>``, never where the grader keeps them."""
    rt = run_of(assignment)
    folders = {str(REPO_ROOT), str(rt.course.root.resolve()), sys.prefix}
    shown = {f.parent.parent.name: sorted(d for d in folders if d in feedback_text(f))
             for f in sorted((rt.course.root / "feedback").rglob("*.html"))}
    assert shown and not any(shown.values()), f"feedback shows the grading machine's folders: {shown}"
