"""How long `nbgrader autograde` takes per submission, for each assignment.

    python bench/autograde_time.py [ASSIGNMENT ...]

Each assignment is released in a scratch course; the reference solutions and
the blank release are handed in and autograded in one run, which is timed.
Prints a table (seconds per submission, kernel start-up included).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from instructor.course import Course, assignments


def time_assignment(name: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        course = Course.scratch(Path(tmp), only=[name])
        course.generate(name)
        course.submit_reference("reference", name)
        course.submit_blank("blank", name)
        start = time.perf_counter()
        course.autograde(name)
        total = time.perf_counter() - start
        score = sum(c.score or 0 for c in course.scores(name)["reference"].values() if c.auto)
    return total / 2, score


def main() -> None:
    names = sys.argv[1:] or assignments()
    print(f"{'assignment':<30} {'s / submission':>15} {'reference score':>16}")
    for name in names:
        seconds, score = time_assignment(name)
        print(f"{name:<30} {seconds:>15.1f} {score:>16g}")


if __name__ == "__main__":
    main()
