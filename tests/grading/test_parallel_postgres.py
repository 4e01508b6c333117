"""A class graded in parallel on Dask (``instructor.grade`` with two workers) into a PostgreSQL gradebook, and the
grades read back through nbgrader."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pytest

from instructor import catalogue, postgres
from instructor import notebooks as nbs
from instructor.course import ENV_DB_URL, Course
from instructor.grade import grade

pytestmark = pytest.mark.grading
ASSIGNMENT = "01_gelu_gradient_descent"


@pytest.fixture(scope="module")
def server():
    try:
        postgres.program("initdb")
    except postgres.PostgresUnavailable as missing:
        pytest.skip(str(missing))
    folder = Path(tempfile.mkdtemp(prefix="gradebook-pg-", dir="/tmp"))  # the server's user must reach it
    try:
        yield postgres.start(folder)
    finally:
        postgres.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_class_graded_in_parallel_lands_in_postgresql(server, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DB_URL, server)
    course = Course.scratch(tmp_path / "course", only=[ASSIGNMENT])
    course.generate(ASSIGNMENT)
    source = nbs.cells_by_id(nbs.read(course.source_path(ASSIGNMENT)))
    wrong = next(a for a in catalogue.load(ASSIGNMENT) if not a.correct)
    course.submit_reference("alice", ASSIGNMENT)
    course.submit_reference("bob", ASSIGNMENT)
    course.submit_blank("carol", ASSIGNMENT)
    course.submit_reference("dave", ASSIGNMENT, {wrong.cell: wrong.apply(source[wrong.cell].source)})

    outcomes = {o.student: o for o in grade(course, ASSIGNMENT, workers=2)}

    assert not (course.root / "gradebook.db").exists(), "the grades went to SQLite, not to the server"
    full = sum(nbs.test_points(nbs.read(course.source_path(ASSIGNMENT))).values())
    totals = {s: sum(c.score or 0 for c in cells.values() if c.auto) for s, cells in course.scores(ASSIGNMENT).items()}
    assert totals == {s: o.score for s, o in outcomes.items()}
    assert totals["alice"] == totals["bob"] == full and totals["carol"] == 0 and 0 < totals["dave"] < full
    exported = course.export_grades(tmp_path / "grades.csv")
    rows = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(exported.open())}
    assert {s: rows[s] for s in totals} == totals, "nbgrader export reads other grades than the grader wrote"

    again = grade(course, ASSIGNMENT, workers=2)
    assert again == [], "a second run graded submissions that were graded already"
