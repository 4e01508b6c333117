"""The instructor's round trip on the real course folder, with two demo students.

For every assignment: generate the release, hand in the reference solutions
(student ``demo-reference``) and the untouched release (``demo-blank``),
autograde, grade the written answers as a TA would in the formgrader (full marks for
the reference's, none for the blank's), then generate feedback. When ``COURSE_DATA_DIR`` points at the real
datasets, ``demo-reference`` hands in the reference weight files too
(``instructor/weights/``), as a student hands in what the notebook saved; without
the data, everything runs on the synthetic stand-ins and no weights are handed in.
Then export ``grades.csv``, write a PDF report of one autograded notebook, build
``demo-reference``'s hand-in packages (``course-handin``'s three layouts) into
``reports/handin/``, and print the score table.

Run it with ``make demo`` (``python -m instructor.demo``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from helpers import handin, settings
from helpers.data import data_root
from helpers.report import export_pdf
from instructor import COURSE_NAME, REPO_ROOT
from instructor import notebooks as nbs
from instructor.course import Course, assignments
from instructor.inprocess import visible_text
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


def _student_folder(course: Course, folder: Path) -> Path:
    """What ``demo-reference`` has after *Restart and Run All* of every notebook: the executed notebooks (the
    autograded ones, hidden tests taken out) and the reference weight files as if the notebooks had saved them
    (none is committed for notebook 09: :func:`_hand_in` makes its files)."""
    shutil.rmtree(folder, ignore_errors=True)
    for assignment in assignments():
        nb = nbs.read(course.autograded_path("demo-reference", assignment))
        for cell in nb.cells:
            if nbs.is_test(cell):
                cell.source = visible_text(cell.source)
        (folder / assignment).mkdir(parents=True)
        nbs.write(nb, folder / assignment / f"{assignment}.ipynb")
        weights = reference_weights(assignment)
        for path in weights.files if weights is not None else ():
            shutil.copy2(path, folder / assignment / path.name)
    return folder


def _train_09_on_a_stand_in(folder: Path) -> None:
    """Notebook 09's files where CIFAR-10 is missing: its recipe, one epoch on 1 024 generated images."""
    command = [sys.executable, str(REPO_ROOT / "bench" / "train_reference_09_cifar10_cnn.py"), "--stand-in", "1024",
               "--test-size", "1000", "--epochs", "1", "--out", str(folder)]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "COURSE_OFFLINE": "1"})


def _hand_in(course: Course) -> None:
    """Build demo-reference's three packages with course-handin and list what each holds (or what is missing)."""
    output = REPO_ROOT / "reports" / "handin"
    root = _student_folder(course, output / "demo-reference-files")
    print("\ncourse-handin, from demo-reference's files:")
    nine = root / "09_cifar10_cnn"
    if nine.is_dir() and not (nine / "p2_model.pkl").exists():
        _train_09_on_a_stand_in(nine)
        print("  (no CIFAR-10 and no committed weights for 09: demo-reference trained it for one epoch on 1 024 "
              "generated images, `bench/train_reference_09_cifar10_cnn.py --stand-in 1024`, to have its files)")
    ready = [a for a in assignments() if all((root / a / f.name).is_file() for f in settings.SAVED_FILES.get(a, ()))]
    for layout, who in (("seed000", {"name": "Demo Reference"}), ("seed001", {"andrew_id": "demoref"}),
                        ("nbgrader", {"student": "demo-reference", "assignments": ready})):
        try:
            built = handin.build(layout, root, output, overwrite=True, **who)
        except handin.HandinError as error:
            print(f"  {layout}: not built, as a student would be told:")
            print("\n".join(f"    - {line}" for line in error.problems))
            continue
        if built.suffix == ".zip":
            listing = [n for n in zipfile.ZipFile(built).namelist() if not n.endswith("/")]
        else:
            listing = sorted(str(p.relative_to(built.parent)) for p in built.rglob("*") if p.is_file())
        print(f"  {layout}: {built.relative_to(REPO_ROOT)}, {len(listing)} files: {', '.join(listing[:6])}"
              + (", ..." if len(listing) > 6 else ""))
        if layout == "nbgrader" and len(ready) < len(assignments()):
            print(f"    (without {', '.join(sorted(set(assignments()) - set(ready)))}: files not saved)")
        if layout == "seed000":
            print(f"    doc/report.pdf, first page: {_first_page(built, 'doc/report.pdf')}")


def _first_page(archive: Path, member: str) -> str:
    """The first lines of the PDF ``member`` of the zip ``archive``, as ``pdftotext`` reads them back."""
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(zipfile.ZipFile(archive).extract(member, scratch))
        text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())[:160]


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
    _hand_in(course)
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
