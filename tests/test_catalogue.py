"""The grading code against the catalogue, in this process (seconds; :mod:`instructor.inprocess`).

Every hidden test is checked here against the reference (full marks), the untouched release (zero, every
test cell failing) and every catalogue answer (a wrong one loses its cells and keeps its ``keeps``; a right one
keeps full marks). ``tests/grading`` proves the same wiring through the real ``nbgrader autograde``.
"""

from __future__ import annotations

import pytest

from instructor import REPO_ROOT, catalogue, inprocess
from instructor import notebooks as nbs
from instructor.course import assignments

ASSIGNMENTS = assignments()
ANSWERS = [(a, answer) for a in ASSIGNMENTS for answer in catalogue.load(a)]


def _label(item) -> str:
    assignment, answer = item
    return f"{assignment[:2]}-{answer.student_id(ANSWERS.index(item))}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks(assignment):
    lost = {cell: r for cell, r in inprocess.grade(assignment).items() if not r.full}
    assert not lost, f"the reference loses points: {lost}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_fails_every_test_cell(assignment):
    release = nbs.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb")
    blanks = {nbs.grade_id(c): c.source for c in release.cells if nbs.is_solution(c) and c.cell_type == "code"}
    scored = {cell: r for cell, r in inprocess.grade(assignment, blanks).items() if r.score > 0}
    assert not scored, f"the untouched release scores points: {scored}"


@pytest.mark.parametrize("item", ANSWERS, ids=_label)
def test_catalogue_answer(item):
    assignment, answer = item
    results = inprocess.grade_answer(assignment, answer)
    if answer.correct:
        lost = {cell: r.message for cell, r in results.items() if not r.full}
        assert not lost, f"correct answer '{answer.why}' to {answer.cell} loses points: {lost}"
        return
    for target in answer.loses:
        assert target in results, f"{target} (lost by '{answer.why}') is not a test cell of {assignment}"
        assert not results[target].full, f"wrong answer '{answer.why}' to {answer.cell} keeps full marks on {target}"
    for other in answer.keeps:
        assert results[other].full, (f"wrong answer '{answer.why}' to {answer.cell} also costs points on {other}, "
                                     f"which grades another task: {results[other].message}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalogue_targets_every_test_cell(assignment):
    source = nbs.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    targeted = {cell for answer in catalogue.load(assignment) for cell in answer.loses}
    missing = set(nbs.test_points(source)) - targeted
    assert not missing, f"no wrong answer of the catalogue targets {sorted(missing)}"
