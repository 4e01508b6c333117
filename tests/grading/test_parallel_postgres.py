"""A class graded in parallel on Dask (``instructor.grade`` with two workers) into a PostgreSQL gradebook, and the
grades read back through nbgrader; and a class whose Dask worker is killed mid-task still graded in full."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import threading
from pathlib import Path
from unittest import mock

import psutil
import pytest

from instructor import catalogue, feedback, postgres
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
        with mock.patch.dict(os.environ, {"LANG": "xx_XX.UTF-8"}):  # a locale no machine has: CI's once broke initdb
            started = postgres.start(folder)
        try:
            yield started
        finally:
            postgres.stop(folder)
    finally:
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

    # the TA's turn: feedback waits until the written answers have their grades
    written = [name for name, cell in course.student_scores(ASSIGNMENT, "alice").items() if not cell.auto]
    assert written and course.ungraded_written(ASSIGNMENT, ["alice"]) == {"alice": written}
    monkeypatch.chdir(course.root)
    assert feedback.main([ASSIGNMENT, "--student", "alice"]) == 1
    assert not course.feedback_path("alice", ASSIGNMENT).exists(), "feedback showed ungraded answers as 0 points"
    course.grade_written(ASSIGNMENT, "alice", dict.fromkeys(written, 1.5))
    assert course.ungraded_written(ASSIGNMENT, ["alice"]) == {}
    assert feedback.main([ASSIGNMENT, "--student", "alice"]) == 0
    assert course.student_scores(ASSIGNMENT, "alice")[written[0]].score == 1.5
    assert course.feedback_path("alice", ASSIGNMENT).exists()


def _kill_a_worker_mid_task(killed: list[int], stop: threading.Event, others: set[int]) -> None:
    """Wait until a grading kernel runs, then SIGKILL the Dask worker process it descends from (a child of this
    process that is not one of ``others``, the children it had before the cluster started)."""
    me = psutil.Process()
    while not stop.wait(0.2):
        for process in me.children(recursive=True):
            try:
                if "ipykernel" not in " ".join(process.cmdline()):
                    continue
                worker = next(p for p in process.parents() if p.ppid() == me.pid and p.pid not in others)
            except (psutil.Error, StopIteration):
                continue
            worker.kill()
            killed.append(worker.pid)
            return


def test_a_worker_killed_mid_task_costs_a_retry_not_the_run(server, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DB_URL, server)
    course = Course.scratch(tmp_path / "course", only=[ASSIGNMENT])
    course.generate(ASSIGNMENT)
    students = ["erin", "frank", "grace", "heidi"]
    for student in students:
        course.submit_reference(student, ASSIGNMENT)
    killed: list[int] = []
    stop = threading.Event()
    others = {p.pid for p in psutil.Process().children()}
    killer = threading.Thread(target=_kill_a_worker_mid_task, args=(killed, stop, others), daemon=True)
    killer.start()
    try:
        outcomes = grade(course, ASSIGNMENT, workers=2)
    finally:
        stop.set()
        killer.join()

    assert killed, "no grading kernel was seen, so no worker was killed"
    full = sum(nbs.test_points(nbs.read(course.source_path(ASSIGNMENT))).values())
    assert sorted(o.student for o in outcomes) == students
    assert all(o.score == full and not o.flags for o in outcomes), [(o.student, o.score, o.flags) for o in outcomes]
    totals = {s: sum(c.score or 0 for c in cells.values() if c.auto) for s, cells in course.scores(ASSIGNMENT).items()
              if s in students}  # the server's gradebook also holds the other test's class
    assert totals == dict.fromkeys(students, full)
