"""The instructor's round trip on the real course folder, with two demo students.

For every assignment: generate the release, hand in the reference solutions
(student ``demo-reference``) and the untouched release (``demo-blank``),
autograde, grade the written answers as a TA would in the formgrader (full marks for
the reference's, none for the blank's), then generate feedback. When ``COURSE_DATA_DIR`` points at the real
datasets, ``demo-reference`` hands in the reference weight files too
(``instructor/weights/``), as a student hands in what the notebook saved; without
the data, everything runs on the synthetic stand-ins and no weights are handed in.
Then export ``grades.csv``, write a PDF report of one autograded notebook, and
print the score table.

Run it with ``make demo`` (``python -m instructor.demo``).
"""

from __future__ import annotations

import os
import time

from helpers.data import data_root
from helpers.report import export_pdf
from instructor import COURSE_NAME, REPO_ROOT
from instructor.course import Course, assignments
from instructor.reference import reference_weights

STUDENTS = {"demo-reference": "the reference solutions", "demo-blank": "the untouched release"}


def _grade_written_answers(course: Course, assignment: str) -> None:
    """The demo TA's grades: full marks for the reference's written answers, none for the blank release's."""
    for student, cells in course.ungraded_written(assignment, list(STUDENTS)).items():
        points = {name: score.max_score if student == "demo-reference" else 0.0
                  for name, score in course.student_scores(assignment, student).items() if name in cells}
        course.grade_written(assignment, student, points)


def _forget_an_earlier_demo(course: Course, assignment: str) -> None:
    """Remove ``assignment`` from the gradebook when only the demo students handed it in (an earlier demo's):
    their submissions would stop nbgrader from releasing a notebook whose cells have changed since. A gradebook
    with anyone else's submission is left alone."""
    students = set(course.scores(assignment))  # empty when it was never released into this gradebook
    if students and students <= set(STUDENTS):
        course.nbgrader("db", "assignment", "remove", assignment, "--force")


def main() -> None:
    os.environ.setdefault("COURSE_QUICK", "1")
    course = Course(REPO_ROOT)
    rows = []
    for assignment in assignments():
        start = time.perf_counter()
        _forget_an_earlier_demo(course, assignment)
        course.generate(assignment)
        weights = reference_weights(assignment)
        files = weights.files if weights is not None and weights.graded_cells(data_root()) else ()
        course.submit_reference("demo-reference", assignment, files=files)
        course.submit_blank("demo-blank", assignment)
        course.autograde(assignment)
        _grade_written_answers(course, assignment)  # as a TA does in the formgrader, before any feedback
        course.generate_feedback(assignment)
        handed_in = f", demo-reference with its {len(files)} weight files" if files else ""
        print(f"{assignment}: released, 2 submissions autograded{handed_in}, feedback written "
              f"({time.perf_counter() - start:.0f} s)")
        for student, cells in sorted(course.scores(assignment).items()):
            if student not in STUDENTS:
                continue
            auto = [c for c in cells.values() if c.auto]
            written = [c for c in cells.values() if not c.auto]
            rows.append((student, assignment, sum(c.score or 0 for c in auto), sum(c.max_score for c in auto),
                         f"{sum(c.score or 0 for c in written):g} / {sum(c.max_score for c in written):g}"))
    grades = course.export_grades(REPO_ROOT / "grades.csv")
    first = assignments()[0]
    report = export_pdf([course.autograded_path("demo-reference", first)], name="Demo Reference Student",
                        output=REPO_ROOT / "reports" / f"demo-reference_{first}.pdf", course=COURSE_NAME)
    print()
    width = max(len("assignment"), *(len(row[1]) for row in rows))
    print(f"{'student':<16} {'assignment':<{width}} {'score':>6} {'max score':>9}   written answers (the demo TA's)")
    for student, assignment, score, maximum, written in rows:
        print(f"{student:<16} {assignment:<{width}} {score:>6g} {maximum:>9g}   {written}")
    print()
    print(f"grades:   {grades.relative_to(REPO_ROOT)}")
    print("feedback: feedback/<student>/<assignment>/<assignment>.html")
    print(f"report:   {report.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
