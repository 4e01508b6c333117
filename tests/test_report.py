"""The PDF report: course and student on the first page, answers and figures inside."""

import shutil
import subprocess
import sys

import nbformat
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


def _page_size(pdf) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return next(line for line in info.splitlines() if line.startswith("Page size"))


def test_the_paper_is_a4_unless_asked_otherwise(pdf, tmp_path, monkeypatch):
    assert "A4" in _page_size(pdf)
    executed = nbformat.read(str(pdf.with_name(NOTEBOOK.name)), as_version=4)
    _run_in_a_kernel(executed, tmp_path)
    notebook = tmp_path / NOTEBOOK.name
    nbformat.write(executed, str(notebook))
    letter = tmp_path / "letter.pdf"
    assert report.main([str(notebook), "--name", "A B", "--paper", "letter", "-o", str(letter)]) == 0
    assert "letter" in _page_size(letter)
    monkeypatch.setenv(report.ENV_PAPER, "letter")
    assert report.paper_size() == "letterpaper" and report.paper_size("a4") == "a4paper"
    with pytest.raises(report.ReportError, match="unknown paper"):
        report.paper_size("b5")


# -- the report made from the notebook itself ---------------------------------------------------------------------

def _notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _run_in_a_kernel(nb, folder):
    from nbclient import NotebookClient

    resources = {"metadata": {"path": str(folder)}}
    NotebookClient(nb, kernel_name="python3", allow_errors=True, resources=resources).execute()
    return nb


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


HAND_IN = 'from helpers.report import make_report\nmake_report("Ada Lovelace", notebook="work.ipynb", save_wait=0.5)'


def test_problems_name_each_cell_not_run_run_out_of_order_or_failing():
    nb = _notebook("x = 1", "y = 2", "z = 3", "check()", "")
    nb.cells[0].execution_count, nb.cells[1].execution_count, nb.cells[2].execution_count = 1, 4, 3
    nb.cells[1].metadata["nbgrader"] = {"grade_id": "gelu"}
    nb.cells[3].execution_count = 5
    nb.cells[3].outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="`gelu(x)` is 1\nmore",
                                                  traceback=[])]
    found = report.problems(nb)
    assert found == ["cell 3 (`z = 3`) ran before the cell above it (run the notebook top to bottom)",
                     "cell 4 (`check()`) ends in an error: CheckFailed: `gelu(x)` is 1"], found
    nb.cells[2].execution_count = None
    assert report.problems(nb, before=3) == ["cell 3 (`z = 3`) has not been run"]
    assert report.problems(nb, before=2) == []


def test_the_cli_refuses_a_notebook_not_run_and_says_why(tmp_path, capsys):
    notebook = tmp_path / "work.ipynb"
    nbformat.write(_notebook("x = 1", "print(x)"), str(notebook))
    assert report.main([str(notebook), "--name", "A B"]) == 1
    err = capsys.readouterr().err
    assert "work.ipynb: cell 1 (`x = 1`) has not been run" in err and "--force" in err
    assert not (tmp_path / "work_report.pdf").exists()


def test_make_report_in_the_notebook_checks_the_saved_file_then_writes_the_pdf(tmp_path):
    notebook = tmp_path / "work.ipynb"
    nb = _notebook("x = 1", "print('[ok] x is one')", HAND_IN)
    nbformat.write(nb, str(notebook))
    first = _run_in_a_kernel(nbformat.read(str(notebook), as_version=4), tmp_path)  # the file on disk never ran
    said = _printed(first.cells[2])
    assert "[report] not written" in said and "cell 1 (`x = 1`) has not been run" in said, said
    assert "not what this kernel ran" in said and not (tmp_path / "work_report.pdf").exists()

    nbformat.write(first, str(notebook))  # as if saved after Run All: now the file is what a kernel ran
    second = _run_in_a_kernel(first, tmp_path)
    said = _printed(second.cells[2])
    assert "[ok] wrote work_report.pdf" in said, said
    pdf = tmp_path / "work_report.pdf"
    assert "A4" in _page_size(pdf) and "Ada Lovelace" in _text(pdf)


def test_make_report_lists_failing_checks_and_writes_only_when_forced(tmp_path):
    notebook = tmp_path / "work.ipynb"
    stub = "raise NotImplementedError(\"Task 'gelu' is not done yet: replace this line with your code.\")"
    nb = _notebook("import helpers", stub, HAND_IN.replace("save_wait=0.5", "save_wait=0.5, force=FORCE"))
    nb.cells.insert(0, nbformat.v4.new_code_cell("FORCE = False"))
    nbformat.write(_run_in_a_kernel(nb, tmp_path), str(notebook))
    done = _run_in_a_kernel(nbformat.read(str(notebook), as_version=4), tmp_path)
    said = _printed(done.cells[3])
    assert "cell 3 (`raise NotImplementedError(" in said, said
    assert "ends in an error: NotImplementedError: Task 'gelu' is not done yet" in said, said
    assert "force=True" in said and not (tmp_path / "work_report.pdf").exists()
    done.cells[0].source = "FORCE = True"
    nbformat.write(done, str(notebook))
    forced = _run_in_a_kernel(done, tmp_path)
    assert "[ok] wrote work_report.pdf" in _printed(forced.cells[3]) and (tmp_path / "work_report.pdf").exists()


def test_make_report_does_nothing_under_the_autograder_or_without_a_name(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert report.make_report("Your Name") is None
    assert "put your name" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert report.make_report("Ada Lovelace") is None
    assert "[skipped]" in capsys.readouterr().out


def test_a_list_right_after_a_paragraph_is_a_list_in_the_report(tmp_path):
    """JupyterLab shows such a list as a list; pandoc's plain markdown would run it into the paragraph."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# A title\n\nTwo settings:\n- **first**, with a bullet\n- **second**, with another")])
    path = tmp_path / "lists.ipynb"
    nbformat.write(notebook, str(path))
    text = _text(report.export_pdf([path], name="A B", output=tmp_path / "lists.pdf"))
    assert text.count("•") == 2, text
