"""The PDF report: course and student on the first page, answers and figures inside."""

import shutil
import subprocess
import sys

import pytest

from helpers import report
from instructor import REPO_ROOT

pytestmark = pytest.mark.pdf
NOTEBOOK = REPO_ROOT / "source" / "01_gelu_gradient_descent" / "01_gelu_gradient_descent.ipynb"


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    shutil.copy(NOTEBOOK, folder)
    notebook = folder / NOTEBOOK.name
    before = notebook.read_bytes()
    result = subprocess.run([sys.executable, "-m", "helpers.report", str(notebook), "--name", "Grace Hopper_2",
                             "--execute"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert notebook.read_bytes() == before, "making a report changed the student's notebook"
    return folder / "01_gelu_gradient_descent_report.pdf"


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_first_page_names_the_course_and_the_student(pdf):
    first = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Grace Hopper_2" in first and report.COURSE_NAME in " ".join(first.split())


def test_report_holds_the_answers_and_a_figure(pdf):
    text = " ".join(_text(pdf).split())
    assert "-0.676497" in text  # x_3 of part (b), computed by the notebook
    assert "the larger step size covers ten times the distance" in text  # a written answer
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert any(" image " in line for line in images), "no figure embedded in the PDF"


def test_several_notebooks_make_one_report(tmp_path):
    combined = report.combine([NOTEBOOK, NOTEBOOK], name="A B")
    assert combined.metadata["title"].count("Descending the GELU curve") == 2
    assert combined.cells[0].source.startswith("# Assignment 01")


def test_bad_input_gets_a_clear_message(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert report.main([str(broken), "--name", "X"]) == 1
    assert "not a readable notebook" in capsys.readouterr().err
    assert report.main([str(tmp_path / "missing.ipynb"), "--name", "X"]) == 1
    assert report.main([str(NOTEBOOK), "--name", "  "]) == 1
    assert "--name" in capsys.readouterr().err
