"""One real autograde run per assignment, shared by all the tests of that assignment.

With ``pytest -n 2 --dist loadgroup`` each assignment's tests run on one worker
(they share the run), and different assignments run in parallel.
"""

from __future__ import annotations

import pytest

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
def run_of(tmp_path_factory: pytest.TempPathFactory):
    def get(assignment: str) -> roundtrip.RoundTrip:
        if assignment not in _RUNS:
            _RUNS[assignment] = roundtrip.run(assignment, tmp_path_factory.mktemp(f"course-{assignment}"))
        return _RUNS[assignment]

    return get
