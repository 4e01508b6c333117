"""The real autograde runs behind the tests of the grading: one per assignment, run up front in parallel.

Only the assignments whose tests were selected run (``-k 02_logic`` runs one).
They run in a pool of processes, one per core, with the biggest catalogues
first; each is a complete ``nbgrader autograde`` round trip in its own scratch
course. The tests then only read the results. A round trip that fails makes the
tests of its assignment fail with its error, and no others.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from instructor import catalogue, roundtrip
from instructor.course import assignments

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
                for index, answer in enumerate(answers):
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


def _size(assignment: str) -> int:
    try:
        return len(catalogue.load(assignment))
    except Exception:
        return 0


@pytest.fixture(scope="session")
def round_trips(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """assignment -> RoundTrip, or the exception its round trip raised."""
    wanted = {a for item in request.session.items if "run_of" in getattr(item, "fixturenames", ())
              if (a := _assignment_of(item))}
    order = sorted(wanted, key=_size, reverse=True)
    base = tmp_path_factory.mktemp("courses")
    results: dict[str, object] = {}
    workers = max(1, min(len(order), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {a: pool.submit(roundtrip.run, a, base / f"course-{a}") for a in order}
        for a, future in futures.items():
            error = future.exception()
            results[a] = error if error is not None else future.result()
    return results


@pytest.fixture
def run_of(round_trips):
    def get(assignment: str) -> roundtrip.RoundTrip:
        result = round_trips[assignment]
        if isinstance(result, BaseException):
            raise RuntimeError(f"the autograde round trip of {assignment} failed: {result}") from result
        return result

    return get
