"""One autograde run of an assignment with every kind of student the tests need.

Students: ``reference`` (the release filled with the reference solutions),
``blank`` (the untouched release), one student per *wrong* catalogue answer
(the reference with that one cell changed, so a lost point can only come from
it), and a few students who combine the *right* answers: the k-th of them holds
the k-th right answer of every cell that has one, and must still get full marks.
All are graded by a single ``nbgrader autograde`` run in a scratch copy of the
course.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from instructor import catalogue
from instructor import notebooks as nbs
from instructor.course import CellScore, Course


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

    def held_by(self, student: str) -> list[catalogue.Answer]:
        return [self.answers[label] for label, who in self.holder.items() if who == student]


def run(assignment: str, workdir: Path, with_catalogue: bool = True) -> RoundTrip:
    course = Course.scratch(workdir, only=[assignment])
    course.generate(assignment)
    course.submit_reference("reference", assignment)
    course.submit_blank("blank", assignment)
    answers: dict[str, catalogue.Answer] = {}
    holder: dict[str, str] = {}
    if with_catalogue:
        reference = nbs.cells_by_id(nbs.read(course.source_path(assignment)))
        right_by_cell: dict[str, list[str]] = defaultdict(list)
        for index, answer in enumerate(catalogue.load(assignment)):
            if answer.cell not in reference:
                raise KeyError(f"catalogue answer {answer.why!r} names an unknown cell {answer.cell!r}")
            label = answer.student_id(index)
            answers[label] = answer
            if answer.correct:
                right_by_cell[answer.cell].append(label)
            else:
                holder[label] = label
                course.submit_reference(label, assignment, {answer.cell: answer.apply(reference[answer.cell].source)})
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
    return RoundTrip(course, assignment, answers, holder, course.scores(assignment))
