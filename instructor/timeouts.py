"""Time limits while autograding, from what the reference needs.

``instructor/timing/<NN>_<name>.json`` holds the seconds each code cell of the reference takes when graded
(in this process, :mod:`instructor.inprocess`: on the generated stand-in data, and on the real data with the
reference weights where they exist; the larger of the two). Measure with ``python -m instructor.timeouts
[ASSIGNMENT ...]`` after changing a notebook; a test fails when a graded cell has no measurement.

From it, while ``nbgrader autograde`` runs (:mod:`instructor.execute`):

- each cell may run ``FACTOR`` times the reference's time, at least ``MIN_SECONDS`` and at most the course's
  ``c.Execute.timeout``; a cell the reference does not have (one the student added) gets ``UNKNOWN_SECONDS``;
- a whole submission may run ``BUDGET_FACTOR`` times the reference's total plus ``BUDGET_SLACK`` seconds; the
  cells left when it is spent are not run and score zero.

So a function that loops costs seconds per cell, not minutes, and no submission holds the grader for long.

A cell whose real work cannot be timed here (notebook 09 evaluates a handed-in CIFAR-10 model on 10 000 test
images, and CIFAR-10 is not on these machines) gets a ``"floor"`` entry in the same file: the seconds that cell
needs at least, measured by a benchmark on data of the real size (the file names the command). The limits use the
larger of the floor and the measurement, and re-measuring keeps the floors.
"""

from __future__ import annotations

import json
import sys
from functools import cache

from instructor import REPO_ROOT

TIMING_DIR = REPO_ROOT / "instructor" / "timing"
FACTOR = 20.0
MIN_SECONDS = 10.0
UNKNOWN_SECONDS = 60.0
BUDGET_FACTOR = 10.0
BUDGET_SLACK = 300.0


def record(assignment: str) -> dict:
    """The timing file of ``assignment`` as it is stored (measured cells, total, floor); empty if none."""
    path = TIMING_DIR / f"{assignment}.json"
    return json.loads(path.read_text()) if path.exists() else {}


@cache
def measured(assignment: str) -> dict[str, float]:
    """Seconds per code cell of the reference (by :func:`instructor.inprocess.cell_key`), each raised to its
    ``floor`` where the file gives one; empty if never measured."""
    stored = record(assignment)
    cells, floors = stored.get("cells", {}), stored.get("floor", {}).get("cells", {})
    return {key: max(seconds, floors.get(key, 0.0)) for key, seconds in cells.items()}


def max_seconds() -> float:
    from instructor.course import autograde_timeout

    return autograde_timeout()


def cell_limit(assignment: str, key: str) -> float:
    """How long the cell ``key`` of a submission of ``assignment`` may run."""
    seconds = measured(assignment).get(key)
    limit = UNKNOWN_SECONDS if seconds is None else max(MIN_SECONDS, FACTOR * seconds)
    return min(limit, max_seconds())


def budget(assignment: str) -> float:
    """How long one submission of ``assignment`` may run in all."""
    cells = measured(assignment)
    if not cells:
        return max_seconds() * 10
    return BUDGET_FACTOR * sum(cells.values()) + BUDGET_SLACK


def measure(assignment: str) -> dict[str, float]:
    """Time every code cell of the reference in-process, on the stand-ins and (when present) on the real data."""
    from instructor import inprocess
    from instructor.reference import real_data_dir, reference_weights

    seconds: dict[str, float] = {}
    inprocess.grade(assignment, seconds=seconds)
    data_dir, weights = real_data_dir(), reference_weights(assignment)
    if data_dir is not None and data_dir.is_dir():
        real: dict[str, float] = {}
        inprocess.grade(assignment, data_dir=data_dir, files=weights.files if weights else (), seconds=real)
        seconds = {key: max(value, real.get(key, 0.0)) for key, value in seconds.items()}
    return seconds


def main(argv: list[str] | None = None) -> None:
    from instructor.course import assignments

    names = (argv if argv is not None else sys.argv[1:]) or assignments()
    TIMING_DIR.mkdir(exist_ok=True)
    for name in names:
        seconds, floor = measure(name), record(name).get("floor")
        stored = {"command": f"python -m instructor.timeouts {name}",
                  "note": "seconds per code cell of the reference, graded in-process (the larger of the stand-in "
                          "data and the real data with the reference weights, where present)",
                  "total": round(sum(seconds.values()), 3),
                  "cells": {key: round(value, 3) for key, value in seconds.items()}}
        if floor:
            stored["floor"] = floor
        (TIMING_DIR / f"{name}.json").write_text(json.dumps(stored, indent=1) + "\n")
        print(f"{name}: {len(seconds)} cells, {stored['total']:.1f} s in all")


if __name__ == "__main__":
    main()
