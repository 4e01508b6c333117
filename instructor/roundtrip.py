"""One autograde run of an assignment with every kind of student the tests need.

Students: ``reference`` (the release filled with the reference solutions),
``blank`` (the untouched release), the *wrong* catalogue answers of the sample
(:func:`instructor.catalogue.sample`: one per test cell), and a few students who
combine the *right* answers: the k-th of them holds the k-th right answer of every
cell that has one, and must still get full marks.

Every catalogue answer is graded alone in-process by ``tests/test_catalogue.py``,
which proves that each wrong answer loses its own test cells and nothing else.
What the round trip adds is the wiring through ``nbgrader autograde``, so the
wrong answers are packed to save notebook runs: one student (``wrong-packed-<k>``)
holds several wrong answers when they edit different cells, lose different test
cells, and every cell that one of them ``keeps`` runs before the cells the others
edit (so the kept cells still prove, under nbgrader, that one mistake costs points
once: see :func:`instructor.catalogue.pack`).
All are graded by a single ``nbgrader autograde`` run in a scratch copy of the
course, and get their feedback (``nbgrader generate_feedback``).

:func:`run_real` grades in the real configuration instead: the real datasets
(read-only) where the grader runs, and the reference handed in three ways:
``reference`` with the committed reference weights, ``no-weights`` without any
weight file, ``bad-weights`` with weight files of a badly trained model,
``damaged-weights`` with the files cut in half (as an interrupted upload leaves them).
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from instructor import catalogue
from instructor import notebooks as nbs
from instructor.course import CellScore, Course
from instructor.reference import damage, reference_weights, spoil


@dataclass
class RoundTrip:
    course: Course
    assignment: str
    answers: dict[str, catalogue.Answer]  # answer label (Answer.student_id) -> catalogue answer
    holder: dict[str, str]  # answer label -> the student who handed it in
    scores: dict[str, dict[str, CellScore]]

    def autograded(self, student: str) -> NotebookNode:
        return nbs.read(self.course.autograded_path(student, self.assignment))

    def auto_total(self, student: str) -> tuple[float, float]:
        cells = [s for s in self.scores[student].values() if s.auto]
        return sum(s.score or 0.0 for s in cells), sum(s.max_score for s in cells)

    def own_lines(self, student: str) -> set[str]:
        """The stripped lines ``student`` wrote (their solution cells): theirs to see in their feedback."""
        return {line.strip() for cell in self.autograded(student).cells if nbs.is_solution(cell)
                for line in cell.source.split("\n")}

    def cell_seconds(self, student: str) -> dict[str, float]:
        """How long each executed cell of ``student``'s autograded notebook ran (grade id, else ``cell <i>``)."""
        from datetime import datetime

        seconds = {}
        for i, cell in enumerate(self.autograded(student).cells):
            timing = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                              for k in ("iopub.execute_input", "shell.execute_reply"))
                seconds[nbs.grade_id(cell) or f"cell {i}"] = (end - start).total_seconds()
        return seconds

    def held_by(self, student: str) -> list[catalogue.Answer]:
        return [self.answers[label] for label, who in self.holder.items() if who == student]


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables (inherited by nbgrader and its kernels) for the block only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_real(assignment: str, workdir: Path, data_dir: Path) -> RoundTrip:
    """Grade the reference with, without, with spoiled and with damaged weight files on the real data."""
    with environment(COURSE_DATA_DIR=str(data_dir), COURSE_CACHE_DIR=str(workdir / "cache")):
        course = Course.scratch(workdir, only=[assignment])
        course.generate(assignment)
        weights = reference_weights(assignment)
        course.submit_reference("reference", assignment, files=weights.files if weights else ())
        if weights is not None:
            course.submit_reference("no-weights", assignment)
            for student, make in (("bad-weights", spoil), ("damaged-weights", damage)):
                folder = workdir / student
                folder.mkdir()
                for path in weights.files:
                    make(path, folder / path.name)
                course.submit_reference(student, assignment, files=[folder / p.name for p in weights.files])
        course.autograde(assignment)
        course.generate_feedback(assignment)
    return RoundTrip(course, assignment, {}, {}, course.scores(assignment))


def run(assignment: str, workdir: Path, with_catalogue: bool = True) -> RoundTrip:
    """Grade the reference, the blank release and the catalogue on the generated stand-in data (no data files)."""
    empty = workdir / "no-data"
    empty.mkdir(parents=True, exist_ok=True)
    with environment(COURSE_DATA_DIR=str(empty), COURSE_CACHE_DIR=str(workdir / "cache"), COURSE_OFFLINE="1"):
        return _run(assignment, workdir, with_catalogue)


def _run(assignment: str, workdir: Path, with_catalogue: bool) -> RoundTrip:
    course = Course.scratch(workdir, only=[assignment])
    course.generate(assignment)
    course.submit_reference("reference", assignment)
    course.submit_blank("blank", assignment)
    answers: dict[str, catalogue.Answer] = {}
    holder: dict[str, str] = {}
    if with_catalogue:
        reference = nbs.cells_by_id(nbs.read(course.source_path(assignment)))
        right_by_cell: dict[str, list[str]] = defaultdict(list)
        everything = catalogue.load(assignment)
        wrong: list[str] = []
        for index in catalogue.sample(everything):
            answer = everything[index]
            if answer.cell not in reference:
                raise KeyError(f"catalogue answer {answer.why!r} names an unknown cell {answer.cell!r}")
            label = answer.student_id(index)
            answers[label] = answer
            (right_by_cell[answer.cell] if answer.correct else wrong).append(label)
        order = {cell: position for position, cell in enumerate(reference)}
        for k, group in enumerate(catalogue.pack([answers[label] for label in wrong], order)):
            labels = [wrong[j] for j in group]
            student = labels[0] if len(labels) == 1 else f"wrong-packed-{k + 1:02d}"
            holder.update({label: student for label in labels})
            course.submit_reference(student, assignment, {answers[label].cell: answers[label].apply(
                reference[answers[label].cell].source) for label in labels})
        rounds = max((len(labels) for labels in right_by_cell.values()), default=0)
        for k in range(rounds):
            student = f"right-combined-{k + 1:02d}"
            edits = {}
            for cell, labels in right_by_cell.items():
                if k < len(labels):
                    edits[cell] = answers[labels[k]].apply(reference[cell].source)
                    holder[labels[k]] = student
            course.submit_reference(student, assignment, edits)
    course.autograde(assignment)
    course.generate_feedback(assignment)
    return RoundTrip(course, assignment, answers, holder, course.scores(assignment))
