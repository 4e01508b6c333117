"""One real autograde run per assignment, shared by all the tests of that assignment.

With ``pytest -n 2 --dist loadgroup`` each assignment's tests are meant to run on one
worker and different assignments in parallel; ``run_of`` makes sure the expensive run
happens once per session even if a scheduler splits an assignment's tests.
"""

from __future__ import annotations

import pickle

import pytest
from filelock import FileLock

from instructor import catalogue, roundtrip
from instructor.course import assignments

ASSIGNMENTS = assignments()
_RUNS: dict[str, roundtrip.RoundTrip] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        params = [pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS]
        metafunc.parametrize("assignment", params)
    for name, correct in (("wrong_answer", False), ("right_answer", True)):
        if name in metafunc.fixturenames:
            params = []
            for a in ASSIGNMENTS:
                try:
                    answers = catalogue.load(a)
                except Exception as error:  # a broken catalogue fails its own test, not the whole collection
                    params.append(pytest.param((a, repr(error)), id=f"{a}:broken-catalogue",
                                               marks=pytest.mark.xdist_group(a)))
                    continue
                for index, answer in enumerate(answers):
                    if answer.correct == correct:
                        params.append(pytest.param((a, answer.student_id(index)), id=f"{a}:{answer.student_id(index)}",
                                                   marks=pytest.mark.xdist_group(a)))
            metafunc.parametrize(name, params)


@pytest.fixture
def run_of(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """The round trip of an assignment, run once per test session even when xdist workers share its tests.

    The first worker to ask runs it under a file lock and leaves the result (a pickle) in the session's
    shared temporary folder; any other worker that asks waits for the lock and reads it.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the session's folder, shared by all workers

    def get(assignment: str) -> roundtrip.RoundTrip:
        if assignment not in _RUNS:
            saved = shared / f"roundtrip-{assignment}.pickle"
            with FileLock(str(shared / f"roundtrip-{assignment}.lock")):
                if saved.exists():
                    _RUNS[assignment] = pickle.loads(saved.read_bytes())
                else:
                    _RUNS[assignment] = roundtrip.run(assignment, shared / f"course-{assignment}")
                    saved.write_bytes(pickle.dumps(_RUNS[assignment]))
        return _RUNS[assignment]

    return get
