"""Submissions that try their luck or arrive broken: no free points, and nobody else's grade is lost."""

from __future__ import annotations

import pytest

from instructor import notebooks as nbs
from instructor.course import Course, assignments

pytestmark = pytest.mark.grading
ASSIGNMENT = assignments()[0]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.scratch(tmp_path_factory.mktemp("tamper"), only=[ASSIGNMENT])
    course.generate(ASSIGNMENT)

    emptied = nbs.read(course.release_path(ASSIGNMENT))  # test cells replaced by `pass`
    for cell in emptied.cells:
        if nbs.is_test(cell):
            cell.source = "pass"
    course.submit("emptied-tests", ASSIGNMENT, emptied)

    deleted = nbs.read(course.release_path(ASSIGNMENT))  # every test cell deleted
    deleted.cells = [c for c in deleted.cells if not nbs.is_test(c)]
    course.submit("deleted-tests", ASSIGNMENT, deleted)

    course.submit_reference("honest", ASSIGNMENT)
    broken = course.root / "submitted" / "broken-json" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ this is not json')
    try:
        course.autograde(ASSIGNMENT)
    except RuntimeError as error:  # nbgrader exits non-zero because one submission is unreadable
        assert "broken-json" in str(error)
    return course, course.scores(ASSIGNMENT)


def _auto(scores, student):
    return sum(c.score or 0 for c in scores[student].values() if c.auto)


def test_emptying_the_test_cells_earns_nothing(graded):
    _, scores = graded
    assert _auto(scores, "emptied-tests") == 0


def test_deleting_the_test_cells_earns_nothing(graded):
    _, scores = graded
    assert "deleted-tests" in scores, "a submission without its test cells was not graded at all"
    assert _auto(scores, "deleted-tests") == 0


def test_a_broken_submission_does_not_cost_another_student_their_grade(graded):
    _, scores = graded
    maximum = sum(c.max_score for c in scores["honest"].values() if c.auto)
    assert _auto(scores, "honest") == maximum > 0
