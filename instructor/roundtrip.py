"""One autograde run of an assignment with every kind of student the tests need.

Students: ``reference`` (the release filled with the reference solutions),
``blank`` (the untouched release), and one student per catalogue answer (the
reference with one cell changed). All are graded by a single ``nbgrader
autograde`` run in a scratch copy of the course.
"""

from __future__ import annotations

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
    answers: dict[str, catalogue.Answer]  # student id -> catalogue answer
    scores: dict[str, dict[str, CellScore]]

    def autograded(self, student: str) -> NotebookNode:
        return nbs.read(self.course.autograded_path(student, self.assignment))

    def auto_total(self, student: str) -> tuple[float, float]:
        cells = [s for s in self.scores[student].values() if s.auto]
        return sum(s.score or 0.0 for s in cells), sum(s.max_score for s in cells)


def run(assignment: str, workdir: Path, with_catalogue: bool = True) -> RoundTrip:
    course = Course.scratch(workdir, only=[assignment])
    course.generate(assignment)
    course.submit_reference("reference", assignment)
    course.submit_blank("blank", assignment)
    answers: dict[str, catalogue.Answer] = {}
    if with_catalogue:
        reference = nbs.cells_by_id(nbs.read(course.source_path(assignment)))
        for index, answer in enumerate(catalogue.load(assignment)):
            if answer.cell not in reference:
                raise KeyError(f"catalogue answer {answer.why!r} names an unknown cell {answer.cell!r}")
            student = answer.student_id(index)
            answers[student] = answer
            course.submit_reference(student, assignment, {answer.cell: answer.apply(reference[answer.cell].source)})
    course.autograde(assignment)
    return RoundTrip(course, assignment, answers, course.scores(assignment))
