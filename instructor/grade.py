"""Autograde an assignment one submission at a time, each on its own, and report what happened.

    python -m instructor.grade ASSIGNMENT [--student NAME ...] [--regrade] [--course DIR]

Does what ``nbgrader autograde ASSIGNMENT`` does, into the course's one gradebook (so the formgrader,
``nbgrader generate_feedback`` and ``nbgrader export`` work unchanged afterwards), but grades each submission in
its own ``nbgrader autograde --student`` process, in its own session: whatever one submission does (crash, hang,
duplicated grade ids, kill its parent), every other student is graded and the run completes. The kernel that runs
the student's code is sandboxed and bounded (``nbgrader_config.py``: :mod:`instructor.sandbox`,
:mod:`instructor.execute`); this command adds a time limit on the whole process, checks each submission before
grading (missing or renamed notebook, unreadable file, duplicated grade ids, deleted or changed test cells) and
writes a report: ``reports/grading-<assignment>.csv`` and a table on stdout, with each student's score, time and
flags.

By default every submitted student who has no autograded notebook newer than the submission is graded;
``--regrade`` grades them all again, ``--student`` names the ones to grade.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from instructor import notebooks as nbs
from instructor import timeouts
from instructor.course import Course, command_env
from instructor.execute import FLAGS

# A worker starts one grading process per task (not a daemon); it grades, it does not need Dask's statistical
# profiler, memory monitor or fast event-loop ticks, which cost the grading a few per cent of every core.
QUIET_DASK = {"distributed.worker.daemon": False, "distributed.worker.profile.enabled": False,
              "distributed.worker.memory.target": False, "distributed.worker.memory.spill": False,
              "distributed.worker.memory.pause": False, "distributed.worker.memory.terminate": False,
              "distributed.admin.tick.interval": "1s", "distributed.admin.system-monitor.interval": "5s"}
GRACE_SECONDS = 120.0  # beyond the submission's time budget, for nbgrader itself and the kernel's start


@dataclass
class Outcome:
    """What grading one submission gave."""

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)

    def row(self) -> dict[str, str]:
        return {"student": self.student, "assignment": self.assignment, "score": f"{self.score:g}",
                "max_score": f"{self.max_score:g}", "seconds": f"{self.seconds:.1f}", "flags": "; ".join(self.flags)}


def submitted_students(course: Course, assignment: str) -> list[str]:
    folder = course.root / "submitted"
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else []


def is_graded(course: Course, student: str, assignment: str) -> bool:
    """Whether an autograded notebook exists that is newer than everything the student handed in."""
    graded = course.autograded_path(student, assignment)
    submitted = course.submission_folder(student, assignment)
    if not graded.exists():
        return False
    newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0.0)
    return graded.stat().st_mtime >= newest


def check_submission(course: Course, student: str, assignment: str) -> tuple[bool, list[str]]:
    """Whether the submission can be graded at all, and what is wrong with it, before grading."""
    folder = course.submission_folder(student, assignment)
    path = folder / f"{assignment}.ipynb"
    if not path.exists():
        others = sorted(p.name for p in folder.glob("*.ipynb"))
        renamed = f" (renamed? found {', '.join(others)})" if others else ""
        return False, [f"notebook missing: no {path.name}{renamed}"]
    try:
        notebook = nbs.read(path)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the student's, not the grader's problem
        return False, [f"unreadable notebook: {type(error).__name__}"]
    flags = []
    ids = Counter(gid for cell in notebook.cells if (gid := nbs.grade_id(cell)))
    duplicated = sorted(gid for gid, n in ids.items() if n > 1)
    if duplicated:
        flags.append(f"duplicated grade ids: {', '.join(duplicated)}")
    release = course.release_path(assignment)
    if release.exists():
        tests = {nbs.grade_id(c): c.source for c in nbs.read(release).cells if nbs.is_test(c)}
        handed = {nbs.grade_id(c): c.source for c in notebook.cells if nbs.grade_id(c) in tests}
        deleted = sorted(set(tests) - set(handed))
        changed = sorted(gid for gid, text in handed.items() if text != tests[gid])
        if deleted:
            flags.append(f"test cells deleted: {', '.join(deleted)}")
        if changed:
            flags.append(f"test cells changed (restored for grading): {', '.join(changed)}")
    return True, flags


def _flags_from_outputs(course: Course, student: str, assignment: str) -> list[str]:
    """One flag per kind of trouble the grader noted in the autograded notebook, naming the first cell it hit."""
    path = course.autograded_path(student, assignment)
    if not path.exists():
        return []
    release = course.release_path(assignment)
    names = {c.get("id"): nbs.grade_id(c) for c in nbs.read(release).cells} if release.exists() else {}
    hits: dict[str, list[str]] = {}
    for index, cell in enumerate(nbs.read(path).cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in FLAGS:
                name = nbs.grade_id(cell) or names.get(cell.get("id")) or f"cell {index}"
                hits.setdefault(FLAGS[output["ename"]], []).append(name)
                if output["ename"] == "TamperingDetected" and len(hits[FLAGS[output["ename"]]]) == 1:
                    hits.setdefault("what", []).append(str(output.get("evalue", ""))[:300])
    what = hits.pop("what", [])
    flags = [f"{kind} in {cells[0]}" + (f" (+{len(cells) - 1} more cells)" if len(cells) > 1 else "")
             for kind, cells in hits.items()]
    return flags + what


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (a Dask worker killed mid-task)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _autograde_child(root: str, args: list[str], log: str) -> None:
    """The body of one grading process: ``nbgrader <args>`` in the course root, in a session of its own."""
    os.setsid()
    _die_with_parent()
    os.chdir(root)
    os.environ.update(command_env())
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    from nbgrader.apps.nbgraderapp import main

    sys.argv = ["nbgrader", *args]
    main()


_PRELOAD = ["nbgrader.apps.nbgraderapp", "nbgrader.converters", "nbclient", "instructor.execute",
            "instructor.sandbox", "instructor.feedback", "instructor.stubs"]


def _context() -> multiprocessing.context.BaseContext:
    """A fork server with nbgrader already imported: a grading process starts in milliseconds, not seconds."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _run(args: list[str], cwd: Path, limit: float) -> tuple[int | None, str]:
    """``nbgrader <args>`` in its own process and session; killed with its session after ``limit`` seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
        process = _context().Process(target=_autograde_child, args=(str(cwd), args, log.name), daemon=False)
        process.start()
        process.join(limit)
        timed_out = process.is_alive()
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.join()
        return (None if timed_out else process.exitcode), log.read()


def _errors(log: str) -> str:
    if "nbgrader update" in log:  # nbgrader's words for metadata it cannot reconcile
        return "nbgrader refused the notebook's metadata (grade ids duplicated or edited)"
    lines = [line.strip() for line in log.splitlines() if "[ERROR]" in line or "Error" in line]
    return lines[-1][:200] if lines else (log.strip().splitlines() or ["no output"])[-1][:200]


def grade_one(course: Course, assignment: str, student: str) -> Outcome:
    """Grade one submission in its own nbgrader process; its scores land in the course's gradebook."""
    outcome = Outcome(student, assignment)
    started = time.monotonic()
    gradable, outcome.flags = check_submission(course, student, assignment)
    if gradable:
        limit = timeouts.budget(assignment) + GRACE_SECONDS
        code, log = _run(["autograde", assignment, f"--student={student}", "--force"], course.root, limit)
        if code is None:
            outcome.flags.append(f"killed after {limit:.0f} s (time budget)")
        elif code != 0 or "[ERROR]" in log:
            outcome.flags.append(f"grader failed: {_errors(log)}")
        outcome.flags += _flags_from_outputs(course, student, assignment)
    else:
        outcome.flags.append("not graded")
    outcome.seconds = time.monotonic() - started
    cells = course.student_scores(assignment, student)
    outcome.score = sum(c.score or 0.0 for c in cells.values() if c.auto)
    outcome.max_score = sum(c.max_score for c in cells.values() if c.auto)
    return outcome


def write_report(outcomes: list[Outcome], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Outcome("", "").row()))
        writer.writeheader()
        writer.writerows(o.row() for o in outcomes)
    return path


def table(outcomes: list[Outcome]) -> str:
    lines = [f"{'student':<24} {'score':>7} {'max':>5} {'seconds':>8}  flags"]
    for o in outcomes:
        lines.append(f"{o.student:<24} {o.score:>7g} {o.max_score:>5g} {o.seconds:>8.1f}  {'; '.join(o.flags) or '-'}")
    return "\n".join(lines)


def _grade_task(root: str, assignment: str, student: str) -> Outcome:
    """One Dask task: grade one submission of the course at ``root`` (a path every worker sees)."""
    return grade_one(Course(Path(root)), assignment, student)


def grade(course: Course, assignment: str, students: list[str] | None = None, regrade: bool = False,
          report: Path | None = None, workers: int = 1, scheduler: str | None = None,
          progress: bool = False) -> list[Outcome]:
    """Grade ``students`` (default: every submission not graded yet; all with ``regrade``).

    One at a time with ``workers=1``; else on Dask: a ``LocalCluster`` of ``workers`` processes, or the running
    scheduler at ``scheduler``. A task whose worker dies is run again on another (Dask's own rescheduling).
    ``progress`` draws a bar with the time left on stderr. Grading processes come from a fork server, which
    imports the calling script again: call this from a script under ``if __name__ == "__main__":``.
    """
    from tqdm.auto import tqdm

    names = students or [s for s in submitted_students(course, assignment)
                         if regrade or not is_graded(course, s, assignment)]
    bar = tqdm(total=len(names), unit="submission", disable=not progress or not names, desc=assignment)
    outcomes: list[Outcome] = []
    if (workers <= 1 and scheduler is None) or len(names) <= 1:
        for student in names:
            outcomes.append(grade_one(course, assignment, student))
            bar.update()
    else:
        import dask
        from dask.distributed import Client, LocalCluster, as_completed

        dask.config.set(QUIET_DASK)
        cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, silence_logs=logging.ERROR)
        with Client(scheduler or cluster) as client:
            futures = [client.submit(_grade_task, str(course.root.resolve()), assignment, student, pure=False,
                                     retries=1, key=f"grade-{assignment}-{student}") for student in names]
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update()
        if cluster is not None:
            cluster.close()
    bar.close()
    outcomes.sort(key=lambda o: o.student)
    write_report(outcomes, report or course.root / "reports" / f"grading-{assignment}.csv")
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m instructor.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="grade this student (repeat for more); default: all")
    parser.add_argument("--regrade", action="store_true", help="grade submissions that are graded already, too")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="the course root (default: here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="grading processes on this machine (default: one per core; 1: no Dask)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786) to grade on")
    args = parser.parse_args(argv)
    course = Course(args.course)
    if not (course.root / "nbgrader_config.py").exists():
        raise SystemExit(f"{course.root} is not a course root (no nbgrader_config.py)")
    outcomes = grade(course, args.assignment, args.student, args.regrade, workers=args.workers,
                     scheduler=args.scheduler, progress=True)
    print(table(outcomes))
    print(json.dumps({"graded": len(outcomes), "flagged": sum(bool(o.flags) for o in outcomes)}))


if __name__ == "__main__":  # run as instructor.grade, not __main__, so that Dask and the fork server find its functions
    from instructor.grade import main as grade_main

    grade_main()
