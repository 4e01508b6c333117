"""Grading in the setting of a real class: the real datasets on the grading machine (read-only), and students who
hand in the notebook with the weight files it saved, without them, or with badly trained ones.

Runs when the real data is present (``../shared/data``, as in CI; or ``COURSE_REAL_DATA_DIR``).
"""

from __future__ import annotations

import pytest

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.course import Course, autograde_timeout
from instructor.feedback import feedback_text, leaked_lines
from instructor.reference import reference_weights

pytestmark = pytest.mark.grading


def _lost(rt, student: str) -> dict[str, tuple[float, float]]:
    return {cell: (s.score, s.max_score) for cell, s in rt.scores[student].items()
            if s.auto and s.score != s.max_score}


def _errors(rt, student: str, cells) -> dict[str, list[str]]:
    return {nbs.grade_id(c): [f"{o.ename}: {o.evalue}" for o in c.outputs if o.output_type == "error"]
            for c in rt.autograded(student).cells if nbs.grade_id(c) in cells}


def _output(rt, student: str, cell_id: str) -> str:
    cell = nbs.cells_by_id(rt.autograded(student))[cell_id]
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def _weights_or_skip(assignment: str):
    weights = reference_weights(assignment)
    if weights is None:
        pytest.skip(f"{assignment} has no reference weights in instructor/weights/ (01-04 save none; 09's need "
                    "CIFAR-10, which is not here: README, 'What cannot be measured here')")
    return weights


def test_reference_with_its_weights_gets_full_marks_on_real_data(assignment, real_run_of):
    rt = real_run_of(assignment)
    lost = _lost(rt, "reference")
    assert not lost, f"the reference with its weights loses points on the real data: {lost}; " \
                     f"errors: {_errors(rt, 'reference', lost)}"
    assert rt.auto_total("reference")[1] > 0


def test_real_data_cells_stay_well_below_the_autograde_timeout(assignment, real_run_of):
    timeout = autograde_timeout()
    for student in real_run_of(assignment).scores:
        seconds = real_run_of(assignment).cell_seconds(student)
        assert seconds, "the autograded notebook records no execution times: this test would see nothing"
        slow = {cell: s for cell, s in seconds.items() if s > timeout / 4}
        assert not slow, f"{student}: cells too close to the {timeout:.0f} s autograde timeout: {slow}"


def test_handed_in_models_are_scored_on_the_whole_test_sets(assignment, real_run_of, real_data):
    weights = _weights_or_skip(assignment)
    rt = real_run_of(assignment)
    for cell in weights.graded_cells(real_data):
        size = weights.graded_by[cell].test_size
        printed = _output(rt, "reference", cell)
        assert f"on {size} real" in printed, f"{cell} should score the handed-in model on all {size} test examples " \
                                             f"of the real data; it printed {printed!r}"


def test_without_weights_only_the_performance_points_are_lost_and_the_feedback_names_the_files(
        assignment, real_run_of, real_data):
    weights = _weights_or_skip(assignment)
    rt = real_run_of(assignment)
    lost = _lost(rt, "no-weights")
    assert set(lost) <= weights.graded_cells(real_data), \
        f"a hand-in without weight files loses points beyond the performance cells: {lost}"
    feedback = feedback_text(rt.course.feedback_path("no-weights", assignment))
    for name in weights.graded_files(real_data):
        assert f"[missing] {name} was not handed in" in feedback, f"the feedback does not say that {name} was missing"


@pytest.mark.parametrize("student", ["bad-weights", "damaged-weights"])
def test_bad_or_damaged_weights_lose_exactly_the_performance_points(assignment, student, real_run_of, real_data):
    """A badly trained model, or files cut in half: zero on the performance cells, nothing lost elsewhere."""
    weights = _weights_or_skip(assignment)
    rt = real_run_of(assignment)
    lost = _lost(rt, student)
    graded = weights.graded_cells(real_data)
    assert set(lost) == graded, f"{student} should lose points on exactly {sorted(graded)}; lost: {lost}; " \
                                f"errors: {_errors(rt, student, lost)}"
    if student == "bad-weights":  # damaged files count as missing: the notebook's quick run may earn a little
        for cell in graded:
            assert rt.scores[student][cell].score == 0, f"{student} keeps points on {cell}"


def test_real_data_feedback_shows_no_hidden_test(assignment, real_run_of):
    rt = real_run_of(assignment)
    hidden = nbs.hidden_test_lines(nbs.read(Course(REPO_ROOT).source_path(assignment)))
    for student in rt.scores:
        text = feedback_text(rt.course.feedback_path(student, assignment))
        leaks = leaked_lines(text, hidden - rt.own_lines(student))
        assert not leaks, f"hidden-test lines reach {student}'s feedback: {leaks[:3]}"


def test_the_real_data_is_never_written(real_data_snapshots):
    before, after = real_data_snapshots
    assert before, "the real data folder is empty"
    assert after == before, "grading wrote into the real data folder: " \
                            f"{sorted(set(after.items()) ^ set(before.items()))[:5]}"
