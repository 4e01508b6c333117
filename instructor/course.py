"""A course folder driven through nbgrader's command line: release, submit, autograde, feedback, export.

The same class drives the real course root (``make demo``) and throw-away
copies of it (the tests of the grading), so both exercise exactly what an
instructor runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from instructor import REPO_ROOT
from instructor import notebooks as nbs


def assignments(root: Path = REPO_ROOT) -> list[str]:
    """Every assignment in ``source/``, in course order."""
    return sorted(p.name for p in (root / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def autograde_timeout(root: Path = REPO_ROOT) -> float:
    """The per-cell time limit of autograding, ``c.Execute.timeout`` in the course's ``nbgrader_config.py``."""
    config = (root / "nbgrader_config.py").read_text()
    return float(re.search(r"c\.Execute\.timeout\s*=\s*(\d+)", config).group(1))


def command_env() -> dict[str, str]:
    """The environment for nbgrader and its kernels: this Python's ``bin`` first on PATH
    (nbgrader runs ``alembic`` from PATH). ``MPLBACKEND`` is dropped: it would override the
    kernels' inline backend and leave autograded notebooks and reports without figures.

    Kernels get one BLAS/OpenMP thread unless the caller chose otherwise: graders run one kernel per core, and
    a pool of threads per kernel oversubscribes the CPU (notebook 08's many small matrix products ran 14 times
    slower with two threads on a busy two-core machine)."""
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return {**env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


ENV_DB_URL = "COURSE_DB_URL"


@dataclass(frozen=True)
class CellScore:
    score: float | None
    max_score: float
    auto: bool


class Course:
    """A course root: ``nbgrader_config.py``, ``source/``, and what nbgrader writes beside them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def scratch(cls, target: Path, only: list[str] | None = None) -> Course:
        """A copy of this repository's course (config and sources) in ``target``."""
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / "nbgrader_config.py", target / "nbgrader_config.py")
        for name in only or assignments():
            shutil.copytree(REPO_ROOT / "source" / name, target / "source" / name, dirs_exist_ok=True)
        return cls(target)

    # -- nbgrader commands -------------------------------------------------
    def nbgrader(self, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
        env = command_env()
        command = [sys.executable, "-m", "nbgrader", *args]
        result = subprocess.run(command, cwd=self.root, env=env, capture_output=quiet, text=True)
        if result.returncode != 0:
            log = (result.stdout or "") + (result.stderr or "")
            raise RuntimeError(f"`nbgrader {' '.join(args)}` failed in {self.root}:\n{log[-4000:]}")
        return result

    def generate(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.release_path(assignment)

    def autograde(self, assignment: str) -> None:
        self.nbgrader("autograde", assignment, "--force")

    def generate_feedback(self, assignment: str, student: str | None = None) -> None:
        """Feedback HTML for every graded submission (or one ``student``: a name or a glob pattern)."""
        self.nbgrader("generate_feedback", assignment, "--force", *([f"--student={student}"] if student else []))

    def export_grades(self, path: Path) -> Path:
        self.nbgrader("export", f"--to={path}")
        return path

    @property
    def db_url(self) -> str:
        """The gradebook: ``$COURSE_DB_URL`` (a PostgreSQL server, say), else ``gradebook.db`` in the course root."""
        return os.environ.get(ENV_DB_URL) or f"sqlite:///{self.root.resolve() / 'gradebook.db'}"

    # -- paths and submissions ---------------------------------------------
    def source_path(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{assignment}.ipynb"

    def release_path(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    def autograded_path(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def feedback_path(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment / f"{assignment}.html"

    def submission_folder(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment

    def submit(self, student: str, assignment: str, notebook: NotebookNode, files: Iterable[Path] = ()) -> None:
        """Hand in ``notebook`` and the ``files`` saved beside it (weights, histories)."""
        folder = self.submission_folder(student, assignment)
        if folder.exists():
            shutil.rmtree(folder)
        nbs.write(notebook, folder / f"{assignment}.ipynb")
        for path in files:
            shutil.copy(path, folder / Path(path).name)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")

    def submit_reference(self, student: str, assignment: str, answers: dict[str, str] | None = None,
                         files: Iterable[Path] = ()) -> None:
        """Hand in the release filled with the reference solutions (``answers`` overrides cells), with ``files``."""
        release = nbs.read(self.release_path(assignment))
        source = nbs.read(self.source_path(assignment))
        self.submit(student, assignment, nbs.fill_in(release, source, answers), files)

    def submit_blank(self, student: str, assignment: str) -> None:
        """Hand in the untouched release."""
        self.submit(student, assignment, nbs.read(self.release_path(assignment)))

    # -- results -------------------------------------------------------------
    def student_scores(self, assignment: str, student: str) -> dict[str, CellScore]:
        """The score of every graded cell of one student's submission (empty when it was never graded)."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gradebook:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                return {}
            return {grade.name: CellScore(grade.score, grade.max_score, grade.cell.cell_type == "code")
                    for notebook in submission.notebooks for grade in notebook.grades}

    def ungraded_written(self, assignment: str, students: list[str] | None = None) -> dict[str, list[str]]:
        """Per autograded student (or only ``students``), the written answers that still wait for a TA's grade."""
        from nbgrader.api import Gradebook

        waiting: dict[str, list[str]] = {}
        with Gradebook(self.db_url) as gradebook:
            for submission in gradebook.assignment_submissions(assignment):
                if students and submission.student_id not in students:
                    continue
                cells = [g.name for nb in submission.notebooks for g in nb.grades if g.needs_manual_grade]
                if cells:
                    waiting[submission.student_id] = cells
        return waiting

    def grade_written(self, assignment: str, student: str, scores: dict[str, float]) -> None:
        """Enter a TA's ``scores`` (cell name -> points) for written answers, as the formgrader's Save does."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gradebook:
            submission = gradebook.find_submission(assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in scores:
                        grade.manual_score = scores[grade.name]
                        grade.needs_manual_grade = False
            gradebook.db.commit()

    def scores(self, assignment: str) -> dict[str, dict[str, CellScore]]:
        """Per student, the score of every graded cell (autograded and written answers)."""
        from nbgrader.api import Gradebook

        result: dict[str, dict[str, CellScore]] = {}
        with Gradebook(self.db_url) as gradebook:
            for submission in gradebook.assignment_submissions(assignment):
                cells: dict[str, CellScore] = {}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cells[grade.name] = CellScore(grade.score, grade.max_score, grade.cell.cell_type == "code")
                result[submission.student_id] = cells
        return result
