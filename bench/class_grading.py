"""Grading a class: serial `nbgrader autograde` against the parallel `python -m instructor.grade`.

    python bench/class_grading.py [--assignment 01_gelu_gradient_descent] [--sizes 10 50 100] [--workers 2]
    python bench/class_grading.py --simulate-class 1000 [--workers-per-machine 2]

For each size N, a scratch course receives N submissions (copies of the reference, the blank release and the
catalogue's wrong and right answers, in turn) and is graded twice: serially by one `nbgrader autograde` run (in
its own copy of the course), and in parallel by `instructor.grade` on a Dask LocalCluster of `--workers`
processes. Every submission's score must be the same in both. Prints a table, then the line
`parallel/serial speed-up: X.XX, scores identical: yes` (the speed-up of the largest size).

`--simulate-class N` instead measures one reference submission of every assignment with `instructor.grade`,
and plans a class of N students handing in all of them: for 1, 2, ... workers, when the last submission is done
(longest first onto the least busy worker), and how many workers finish within an hour.
"""

from __future__ import annotations

import argparse
import heapq
import shutil
import tempfile
import time
from pathlib import Path

from instructor import catalogue
from instructor import notebooks as nbs
from instructor.course import Course, assignments
from instructor.grade import grade


def _submit(course: Course, assignment: str, count: int) -> None:
    source = nbs.cells_by_id(nbs.read(course.source_path(assignment)))
    answers = catalogue.load(assignment)
    for index in range(count):
        student = f"student-{index:04d}"
        kind = index % (len(answers) + 2)
        if kind == 0:
            course.submit_reference(student, assignment)
        elif kind == 1:
            course.submit_blank(student, assignment)
        else:
            answer = answers[kind - 2]
            course.submit_reference(student, assignment, {answer.cell: answer.apply(source[answer.cell].source)})


def _totals(course: Course, assignment: str) -> dict[str, float]:
    return {student: sum(c.score or 0.0 for c in cells.values() if c.auto)
            for student, cells in course.scores(assignment).items()}


def compare(assignment: str, count: int, workers: int, workdir: Path) -> tuple[float, float, bool]:
    """Seconds for serial nbgrader and for the parallel command on ``count`` submissions; identical scores?"""
    serial = Course.scratch(workdir / "serial", only=[assignment])
    serial.generate(assignment)
    _submit(serial, assignment, count)
    parallel_root = workdir / "parallel"
    shutil.copytree(serial.root, parallel_root)
    parallel = Course(parallel_root)
    started = time.perf_counter()
    try:
        serial.autograde(assignment)
    except RuntimeError:
        pass  # nbgrader exits non-zero when a submission fails; its scores are still compared
    serial_seconds = time.perf_counter() - started
    started = time.perf_counter()
    grade(parallel, assignment, workers=workers)
    parallel_seconds = time.perf_counter() - started
    return serial_seconds, parallel_seconds, _totals(serial, assignment) == _totals(parallel, assignment)


def simulate(students: int, workdir: Path) -> None:
    """Plan a class of ``students`` from one measured reference submission of each assignment."""
    seconds = {}
    for name in assignments():
        course = Course.scratch(workdir / name, only=[name])
        course.generate(name)
        course.submit_reference("reference", name)
        seconds[name] = grade(course, name)[0].seconds
        print(f"{name:<32} {seconds[name]:6.1f} s per submission (measured)")
    tasks = sorted((s for s in seconds.values() for _ in range(students)), reverse=True)
    print(f"\n{students} students x {len(seconds)} notebooks: {sum(tasks) / 3600:.1f} hours of grading in all")
    print(f"{'workers':>8} {'finished after':>15}")
    for workers in range(1, 200):
        finish = [0.0] * workers
        for task in tasks:  # longest first, onto the worker that is free first
            heapq.heapreplace(finish, finish[0] + task)
        makespan = max(finish)
        if workers in {1, 2, 4, 8, 16} or makespan <= 3600:
            print(f"{workers:>8} {makespan / 60:>12.1f} min")
        if makespan <= 3600:
            print(f"{workers} workers (one core each) grade the class within an hour")
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=assignments()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--simulate-class", type=int, metavar="STUDENTS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="class-grading-") as tmp:
        if args.simulate_class:
            simulate(args.simulate_class, Path(tmp))
            return
        print(f"{args.assignment}, {args.workers} workers")
        print(f"{'submissions':>12} {'serial s':>10} {'parallel s':>11} {'speed-up':>9} {'identical':>10}")
        speed_up, identical = 0.0, True
        for count in args.sizes:
            serial, parallel, same = compare(args.assignment, count, args.workers, Path(tmp) / f"n{count}")
            speed_up, identical = serial / parallel, identical and same
            print(f"{count:>12} {serial:>10.1f} {parallel:>11.1f} {speed_up:>9.2f} {'yes' if same else 'NO':>10}")
    print(f"parallel/serial speed-up: {speed_up:.2f}, scores identical: {'yes' if identical else 'no'}")


if __name__ == "__main__":
    main()
