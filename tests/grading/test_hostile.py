"""A batch of hostile and broken submissions, graded one by one (``python -m instructor.grade``): honest students
keep every point, each case is flagged and earns nothing from its trick, nothing outside the scratch copies of the
submissions changes."""

from __future__ import annotations

import pytest

from instructor import hostile
from instructor import notebooks as nbs

pytestmark = pytest.mark.grading


def _full(batch: hostile.Batch) -> float:
    source = nbs.read(batch.course.source_path(hostile.ASSIGNMENT))
    return sum(nbs.test_points(source).values())


@pytest.mark.parametrize("student", hostile.HONEST)
def test_honest_students_keep_every_point(hostile_batch, student):
    outcome = hostile_batch.outcomes[student]
    assert outcome.score == _full(hostile_batch), f"{student} lost points in a hostile batch: {outcome}"
    assert not outcome.flags, f"{student} was flagged: {outcome.flags}"


@pytest.mark.parametrize("case", hostile.CASES, ids=lambda case: case.student)
def test_each_hostile_submission_is_flagged_and_gains_nothing(hostile_batch, case):
    outcome = hostile_batch.outcomes[case.student]
    assert any(case.flag in flag for flag in outcome.flags), f"{case.student} is not flagged '{case.flag}': {outcome}"
    expected = {"zero": lambda s: s == 0, "partial": lambda s: 0 < s < _full(hostile_batch),
                "full": lambda s: s == _full(hostile_batch)}[case.score]
    assert expected(outcome.score), f"{case.student} should score {case.score}: {outcome}"


@pytest.mark.parametrize("student", ["renames-notebook", "hands-in-broken-json"])
def test_unreadable_or_missing_notebooks_are_flagged_not_fatal(hostile_batch, student):
    outcome = hostile_batch.outcomes[student]
    assert outcome.flags and outcome.score == 0, outcome


def test_every_student_is_graded_and_reported(hostile_batch):
    students = {*hostile.HONEST, *(case.student for case in hostile.CASES), "renames-notebook",
                "hands-in-broken-json"}
    assert set(hostile_batch.outcomes) == students
    report = hostile_batch.course.root / "reports" / f"grading-{hostile.ASSIGNMENT}.csv"
    assert report.is_file() and len(report.read_text().splitlines()) == len(students) + 1


def test_nothing_outside_the_scratch_copies_changes(hostile_batch):
    changed = {name: sorted(set(hostile_batch.before[name].items()) ^ set(hostile_batch.after[name].items()))[:3]
               for name in hostile_batch.before}
    assert not any(changed.values()), f"grading a hostile batch changed files: {changed}"
