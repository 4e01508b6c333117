"""The instructor's round trip on the real course folder, with two demo students.

For every assignment: generate the release, hand in the reference solutions
(student ``demo-reference``) and the untouched release (``demo-blank``),
autograde, generate feedback. Then export ``grades.csv``, write a PDF report of
one autograded notebook, and print the score table.

Run it with ``make demo`` (``python -m instructor.demo``).
"""

from __future__ import annotations

import os
import time

from helpers.report import export_pdf
from instructor import COURSE_NAME, REPO_ROOT
from instructor.course import Course, assignments

STUDENTS = {"demo-reference": "the reference solutions", "demo-blank": "the untouched release"}


def main() -> None:
    os.environ.setdefault("COURSE_QUICK", "1")
    course = Course(REPO_ROOT)
    rows = []
    for assignment in assignments():
        start = time.perf_counter()
        course.generate(assignment)
        course.submit_reference("demo-reference", assignment)
        course.submit_blank("demo-blank", assignment)
        course.autograde(assignment)
        course.generate_feedback(assignment)
        print(f"{assignment}: released, 2 submissions autograded, feedback written "
              f"({time.perf_counter() - start:.0f} s)")
        for student, cells in sorted(course.scores(assignment).items()):
            if student not in STUDENTS:
                continue
            auto = [c for c in cells.values() if c.auto]
            written = sum(c.max_score for c in cells.values() if not c.auto)
            rows.append((student, assignment, sum(c.score or 0 for c in auto), sum(c.max_score for c in auto), written))
    grades = course.export_grades(REPO_ROOT / "grades.csv")
    first = assignments()[0]
    report = export_pdf([course.autograded_path("demo-reference", first)], name="Demo Reference Student",
                        output=REPO_ROOT / "reports" / f"demo-reference_{first}.pdf", course=COURSE_NAME)
    print()
    width = max(len("assignment"), *(len(row[1]) for row in rows))
    print(f"{'student':<16} {'assignment':<{width}} {'score':>6} {'max score':>9}   written answers (graded by hand)")
    for student, assignment, score, maximum, written in rows:
        print(f"{student:<16} {assignment:<{width}} {score:>6g} {maximum:>9g}   {written:g} points to grade")
    print()
    print(f"grades:   {grades.relative_to(REPO_ROOT)}")
    print("feedback: feedback/<student>/<assignment>/<assignment>.html")
    print(f"report:   {report.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
