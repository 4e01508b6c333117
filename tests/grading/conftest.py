"""The real autograde runs behind the tests of the grading: run up front, in parallel.

Two kinds of round trip, only for the assignments whose tests were selected
(``-k 02_logic`` runs one):

- ``synthetic``: the reference, the blank release and a sample of the catalogue, on the
  data the project generates itself (:func:`instructor.roundtrip.run`);
- ``real``: the reference with, without and with spoiled weight files, on the real
  datasets (:func:`instructor.roundtrip.run_real`), when they are present
  (``../shared/data``, or ``COURSE_REAL_DATA_DIR``);
- ``hostile``: notebook 01's hostile and broken submissions and two honest students,
  graded one by one by ``instructor.grade`` (:func:`instructor.hostile.run`).

They run in one pool of processes, one per core, the most expensive first; each is
a complete ``nbgrader autograde`` in its own scratch course. The tests then only
read the results. A round trip that fails makes the tests that read it fail with
its error, and no others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from instructor import catalogue, hostile, roundtrip, timeouts
from instructor.course import assignments
from instructor.reference import real_data_dir, reference_weights

ASSIGNMENTS = assignments()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", ASSIGNMENTS)
    for name, correct in (("wrong_answer", False), ("right_answer", True)):
        if name in metafunc.fixturenames:
            params = []
            for a in ASSIGNMENTS:
                try:
                    answers = catalogue.load(a)
                except Exception as error:  # a broken catalogue fails its own test, not the whole collection
                    params.append(pytest.param((a, repr(error)), id=f"{a}:broken-catalogue"))
                    continue
                for index in catalogue.sample(answers):
                    answer = answers[index]
                    if answer.correct == correct:
                        params.append(pytest.param((a, answer.student_id(index)), id=f"{a}:{answer.student_id(index)}"))
            metafunc.parametrize(name, params)


def _assignment_of(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "assignment" in params:
        return params["assignment"]
    for name in ("wrong_answer", "right_answer"):
        if name in params:
            return params[name][0]
    return None


def _cost(kind: str, assignment: str) -> float:
    """A rough cost in seconds, so the pool starts the longest round trips first: the submissions it grades times
    what one takes (a kernel's start, about 3 s, plus the reference's measured time in ``instructor/timing/``)."""
    if kind == "hostile":
        return 12.0 * (len(hostile.CASES) + 4)  # slow students: a loop, a crash, a memory hog
    try:
        answers = catalogue.load(assignment)
        chosen = [answers[i] for i in catalogue.sample(answers)]
        rounds = max([sum(a.cell == b.cell for b in chosen if b.correct) for a in chosen if a.correct] or [0])
        packs = len(catalogue.pack([a for a in chosen if not a.correct], defaultdict(int)))  # an upper bound
        students = 2 + packs + rounds if kind == "synthetic" else (4 if reference_weights(assignment) else 1)
    except Exception:
        students = 3
    return students * (3.0 + timeouts.record(assignment).get("total", 5.0))


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real datasets, or a skip when this machine has none (CI always has ``../shared/data``)."""
    path = real_data_dir()
    if path is None or not path.is_dir():
        pytest.skip("no real datasets here (../shared/data or COURSE_REAL_DATA_DIR): the real configuration "
                    "cannot be graded")
    return path


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime) for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def round_trips(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(kind, assignment) -> RoundTrip, or the exception its round trip raised; and the real data's snapshot."""
    jobs = set()
    for item in request.session.items:
        names = getattr(item, "fixturenames", ())
        assignment = _assignment_of(item)
        if assignment and "run_of" in names:
            jobs.add(("synthetic", assignment))
        if assignment and "real_run_of" in names:
            jobs.add(("real", assignment))
        if "hostile_batch" in names:
            jobs.add(("hostile", hostile.ASSIGNMENT))
    data_dir = real_data_dir()
    if data_dir is None or not data_dir.is_dir():
        jobs = {job for job in jobs if job[0] != "real"}
    order = sorted(jobs, key=lambda job: _cost(*job), reverse=True)
    base = tmp_path_factory.mktemp("courses")
    before = _snapshot(data_dir) if data_dir and data_dir.is_dir() else {}
    results: dict[tuple[str, str], object] = {}
    workers = max(1, min(len(order), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {}
        for kind, a in order:
            if kind == "synthetic":
                futures[kind, a] = pool.submit(roundtrip.run, a, base / f"course-{a}")
            elif kind == "hostile":
                futures[kind, a] = pool.submit(hostile.run, base / "hostile")
            else:
                futures[kind, a] = pool.submit(roundtrip.run_real, a, base / f"real-{a}", data_dir)
        for job, future in futures.items():
            error = future.exception()
            results[job] = error if error is not None else future.result()
    after = _snapshot(data_dir) if data_dir and data_dir.is_dir() else {}
    return results, (before, after)


def _getter(round_trips, kind: str):
    results, _ = round_trips

    def get(assignment: str) -> roundtrip.RoundTrip:
        result = results[kind, assignment]
        if isinstance(result, BaseException):
            raise RuntimeError(f"the {kind} autograde round trip of {assignment} failed: {result}") from result
        return result

    return get


@pytest.fixture
def run_of(round_trips):
    return _getter(round_trips, "synthetic")


@pytest.fixture
def hostile_batch(round_trips) -> hostile.Batch:
    """Notebook 01's hostile and broken submissions with two honest students, graded by ``instructor.grade``."""
    return _getter(round_trips, "hostile")(hostile.ASSIGNMENT)


@pytest.fixture
def real_run_of(round_trips, real_data):
    return _getter(round_trips, "real")


@pytest.fixture
def real_data_snapshots(round_trips, real_data):
    """The listing (size, mtime) of the real data folder before and after every round trip ran."""
    return round_trips[1]
