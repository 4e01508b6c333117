"""The course folder a TA is handed: ``make release`` readies the gradebook; nbgrader works from any shell."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.release import release

ASSIGNMENT = "01_gelu_gradient_descent"


def test_release_matches_the_committed_one_and_readies_the_gradebook(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    made = release(ASSIGNMENT, gradebook=url, into=tmp_path / "release")
    committed = REPO_ROOT / "release" / ASSIGNMENT
    notebook = f"{ASSIGNMENT}.ipynb"
    assert filecmp.cmp(made / notebook, committed / notebook, shallow=False), "release/ is stale: run make release"
    with Gradebook(url) as gradebook:
        recorded = gradebook.find_assignment(ASSIGNMENT)
        cells = {cell.name for nb in recorded.notebooks for cell in nb.grade_cells}
    graded = {nbs.grade_id(c) for c in nbs.read(committed / notebook).cells if nbs.grade_id(c) and nbs.is_test(c)}
    assert graded and graded <= cells, "the gradebook does not know the assignment's test cells: autograde would fail"


def test_nbgrader_works_from_a_shell_without_the_environment(tmp_path):
    """A fresh course, nbgrader called by its path with a bare PATH: it creates the gradebook (which runs
    ``alembic``) and the exchange folder, and lists the (no) assignments."""
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path)
    nbgrader = Path(sys.executable).parent / "nbgrader"
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([str(nbgrader), "db", "assignment", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "There are 0 assignments" in result.stdout
    assert (tmp_path / "exchange").is_dir() and (tmp_path / "gradebook.db").is_file()
