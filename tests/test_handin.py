"""course-handin: the seeds' packages and the nbgrader hand-in, built from a student's notebooks and saved files."""

import ast
import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from helpers import handin, report, settings
from instructor import REPO_ROOT
from instructor import notebooks as nbs

ASSIGNMENTS = ("04_conv_pool_arithmetic", "05_numpy_networks", "06_lenet_regularization_kmnist",
               "07_char_translation_attention", "08_numpy_lstm_shakespeare", "09_cifar10_cnn")
STUDENT_LINE = "MLP_SIZES = [784, 256, 10]"  # a line of notebook 05's reference solution, as a student wrote it
FAKE_PDF = b"%PDF-1.4\n% a stand-in report\n%%EOF\n"
UNICODE_NAME = "Kristoffer Wickstrøm"


def _run_in_order(nb):
    """As after Restart and Run All: every code cell ran in order without an error, the report cell left unrun."""
    end = handin.checked_cells_end(nb)
    count = 0
    for cell in nb.cells[:end]:
        if cell.cell_type == "code" and cell.source.strip():
            count += 1
            cell.execution_count = count
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    return nb


def _fake_09():
    """Notebook 09 when it is not written yet: a task, a training cell, the report cell."""
    cells = [nbformat.v4.new_markdown_cell("# Assignment 09: CIFAR-10"),
             nbformat.v4.new_code_cell("import torch\nfrom torch import nn"),
             nbformat.v4.new_code_cell("class CifarNet(nn.Module):\n    pass"),
             nbformat.v4.new_code_cell('torch.save(CifarNet().state_dict(), "p2_model.pkl")'),
             nbformat.v4.new_code_cell('from helpers.report import make_report\n\nmake_report("Your Name")')]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _student_notebook(assignment):
    source, release = (REPO_ROOT / folder / assignment / f"{assignment}.ipynb" for folder in ("source", "release"))
    if source.exists() and release.exists():
        nb = nbs.fill_in(nbs.read(release), nbs.read(source))
    elif source.exists():
        nb = nbs.read(source)
    else:
        nb = _fake_09()
    return _run_in_order(nb)


@pytest.fixture(scope="module")
def student_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("template") / "release"
    for assignment in ASSIGNMENTS:
        nbs.write(_student_notebook(assignment), handin.notebook_path(root, assignment))
        for saved in settings.SAVED_FILES.get(assignment, ()):
            (root / assignment / saved.name).write_bytes(f"weights of {saved.name}".encode())
    return root


@pytest.fixture
def student(student_template, tmp_path):
    root = tmp_path / "release"
    shutil.copytree(student_template, root)
    return root


@pytest.fixture
def fake_pdf(monkeypatch):
    """PDF reports without xelatex: a tiny fixed file, and the names of the notebooks each report holds."""
    made = []

    def export_pdf(paths, name, output, course=report.COURSE_NAME, execute=False, paper=None):
        made.append(([Path(p).name for p in paths], name, course))
        output.write_bytes(FAKE_PDF)
        return output

    monkeypatch.setattr(report, "export_pdf", export_pdf)
    monkeypatch.setattr(report, "missing_tools", lambda: None)
    return made


def _fingerprint(root):
    return {p.relative_to(root): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _listing(folder):
    return sorted(p.relative_to(folder).as_posix() + ("/" if p.is_dir() else "") for p in folder.rglob("*"))


def _src(*names):
    return [f"src/{n}" for n in names]


SEED000 = sorted(["doc/", "doc/report.pdf", "src/",
                  *_src(*(f"{a}.{ext}" for a in settings.SEED000.assignments for ext in ("ipynb", "py"))),
                  *_src("p1_model.npz", "lenet_model.npz", "translator_vanilla.pt", "translator_attention.pt",
                        "lstm_shakespeare.npz")])
SEED001 = sorted(f"aloveloc-HW1/{p}" for p in ("", "p1/", "p1/p1.py", "p1/p1_model.npz", "p1/p1_report.pdf",
                                              "p2/", "p2/p2.py", "p2/p2_model.pkl", "p2/p2_report.pdf"))


def test_seed000_zip_holds_doc_and_src_exactly(student, tmp_path, fake_pdf):
    before = _fingerprint(student)
    out = tmp_path / "out"
    built = handin.build("seed000", student, out, name=UNICODE_NAME)
    assert built == out / "mandatory_assignment_Kristoffer_Wickstrøm.zip"
    assert sorted(p.name for p in out.iterdir()) == [built.name], "only the zip is left in the output folder"
    with zipfile.ZipFile(built) as zipped:
        assert sorted(zipped.namelist()) == SEED000
        assert zipped.read("doc/report.pdf") == FAKE_PDF
        assert zipped.read("src/p1_model.npz") == (student / "05_numpy_networks" / "p1_model.npz").read_bytes()
        for script in (n for n in zipped.namelist() if n.endswith(".py")):
            ast.parse(zipped.read(script).decode())
        assert STUDENT_LINE in zipped.read("src/05_numpy_networks.py").decode()
    assert fake_pdf == [([f"{a}.ipynb" for a in settings.SEED000.assignments], UNICODE_NAME, settings.COURSE_NAME)]
    assert _fingerprint(student) == before, "a student's file was changed"


def test_seed001_zip_holds_the_top_folder_with_p1_and_p2(student, tmp_path, fake_pdf):
    before = _fingerprint(student)
    built = handin.build("seed001", student, tmp_path / "out", andrew_id="aloveloc")
    assert built.name == "aloveloc-HW1.zip"
    with zipfile.ZipFile(built) as zipped:
        assert sorted(zipped.namelist()) == SEED001
        ast.parse(zipped.read("aloveloc-HW1/p1/p1.py").decode())
        ast.parse(zipped.read("aloveloc-HW1/p2/p2.py").decode())
        assert STUDENT_LINE in zipped.read("aloveloc-HW1/p1/p1.py").decode()
        assert zipped.read("aloveloc-HW1/p2/p2_model.pkl") == b"weights of p2_model.pkl"
    assert [(paths, name) for paths, name, _ in fake_pdf] == [(["05_numpy_networks.ipynb"], "aloveloc"),
                                                              (["09_cifar10_cnn.ipynb"], "aloveloc")]
    assert _fingerprint(student) == before


def test_nbgrader_hand_in_is_what_submitted_holds(student, tmp_path):
    before = _fingerprint(student)
    out = tmp_path / "submitted"
    built = handin.build("nbgrader", student, out, student="aloveloc",
                         assignments=["05_numpy_networks", "09_cifar10_cnn"])
    assert built == out / "aloveloc"
    assert _listing(out) == sorted([
        "aloveloc/", "aloveloc/05_numpy_networks/", "aloveloc/05_numpy_networks/05_numpy_networks.ipynb",
        "aloveloc/05_numpy_networks/p1_model.npz", "aloveloc/05_numpy_networks/lenet_model.npz",
        "aloveloc/05_numpy_networks/timestamp.txt", "aloveloc/09_cifar10_cnn/",
        "aloveloc/09_cifar10_cnn/09_cifar10_cnn.ipynb", "aloveloc/09_cifar10_cnn/p2_model.pkl",
        "aloveloc/09_cifar10_cnn/p2_history.json", "aloveloc/09_cifar10_cnn/timestamp.txt"])
    notebook = out / "aloveloc" / "05_numpy_networks" / "05_numpy_networks.ipynb"
    assert notebook.read_bytes() == (student / "05_numpy_networks" / "05_numpy_networks.ipynb").read_bytes()
    assert (out / "aloveloc" / "05_numpy_networks" / "timestamp.txt").read_text().strip().endswith(" UTC")
    # a later hand-in of another assignment joins the folder; every assignment by default
    handin.build("nbgrader", student, out, student="aloveloc", assignments=["06_lenet_regularization_kmnist"])
    assert sorted(p.name for p in built.iterdir()) == ["05_numpy_networks", "06_lenet_regularization_kmnist",
                                                       "09_cifar10_cnn"]
    assert len(list((built / "06_lenet_regularization_kmnist").iterdir())) == 1 + 10 + 1
    assert _fingerprint(student) == before


def test_each_problem_is_one_line_and_nothing_is_written(student, tmp_path, fake_pdf, capsys):
    (student / "05_numpy_networks" / "p1_model.npz").unlink()
    path = handin.notebook_path(student, "05_numpy_networks")
    nb = nbs.read(path)
    unrun = next(i for i, c in enumerate(nb.cells) if nbs.grade_id(c) == "mlp_hyperparameters")
    nb.cells[unrun].execution_count = None
    nbs.write(nb, path)
    path = handin.notebook_path(student, "08_numpy_lstm_shakespeare")
    nb = nbs.read(path)
    failing = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count == 5)
    nb.cells[failing].outputs = [nbformat.v4.new_output("error", ename="NotImplementedError",
                                                        evalue="Task 'lstm_step' is not done yet", traceback=[])]
    nbs.write(nb, path)
    out = tmp_path / "out"
    assert handin.main(["seed000", "--root", str(student), "--output", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "course-handin: nothing written (4 problem(s) above)"
    lines = err[:-1]
    assert len(lines) == 4, lines
    assert any("--name" in line for line in lines)
    assert any(line.startswith("  - 05_numpy_networks: p1_model.npz is missing") and "section 8" in line
               for line in lines)
    assert any(line.startswith(f"  - 05_numpy_networks: cell {unrun + 1} (mlp_hyperparameters) has not been run")
               for line in lines)
    assert any(line.startswith(f"  - 08_numpy_lstm_shakespeare: cell {failing + 1}") and "NotImplementedError" in
               line for line in lines)
    assert not out.exists() and fake_pdf == []


def test_missing_notebook_bad_ids_and_quick_mode_files(student, tmp_path, fake_pdf):
    shutil.rmtree(student / "04_conv_pool_arithmetic")
    (student / "09_cifar10_cnn" / "p2_model.pkl").unlink()
    with pytest.raises(handin.HandinError) as raised:
        handin.build("seed001", student, tmp_path / "out", andrew_id="A.Lovelace")
    assert len(raised.value.problems) == 2
    assert "Andrew ID 'A.Lovelace'" in raised.value.problems[0]
    assert raised.value.problems[1].startswith("09_cifar10_cnn: p2_model.pkl is missing")
    assert "COURSE_QUICK unset" in raised.value.problems[1]
    with pytest.raises(handin.HandinError) as raised:
        handin.build("seed000", student, tmp_path / "out", name=" - ")
    assert [line.split(":")[0] for line in raised.value.problems] == ["give your name with --name (it names the "
                                                                      "package and goes on the report's first page)",
                                                                      "04_conv_pool_arithmetic"]
    with pytest.raises(handin.HandinError, match="student id 'a/b'"):
        handin.build("nbgrader", student, tmp_path / "out", student="a/b")
    assert not (tmp_path / "out").exists()


def test_missing_pdf_tools_are_reported(student, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "missing_tools", lambda: "xelatex not found: install it")
    with pytest.raises(handin.HandinError) as raised:
        handin.build("seed001", student, tmp_path, andrew_id="aloveloc")
    assert raised.value.problems == ["the PDF report cannot be made: xelatex not found: install it"]


def test_existing_output_needs_overwrite_and_an_interrupted_build_leaves_nothing(student, tmp_path, fake_pdf,
                                                                                 monkeypatch):
    out = tmp_path / "out"
    first = handin.build("seed001", student, out, andrew_id="aloveloc")
    with pytest.raises(handin.HandinError) as raised:
        handin.build("seed001", student, out, andrew_id="aloveloc")
    assert raised.value.problems == [f"{first} exists already: add --overwrite to replace it"]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "export_pdf", interrupted)
    before = first.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        handin.build("seed001", student, out, andrew_id="aloveloc", overwrite=True)
    assert _listing(out) == ["aloveloc-HW1.zip"] and first.read_bytes() == before
    monkeypatch.undo()
    monkeypatch.setattr(report, "missing_tools", lambda: None)
    monkeypatch.setattr(report, "export_pdf", lambda paths, name, output, *a, **k: output.write_bytes(b"%PDF new"))
    handin.build("seed001", student, out, andrew_id="aloveloc", overwrite=True)
    with zipfile.ZipFile(first) as zipped:
        assert zipped.read("aloveloc-HW1/p1/p1_report.pdf") == b"%PDF new"


def test_names_keep_letters_of_any_script():
    assert handin.safe_name("Kristoffer Wickstrøm") == "Kristoffer_Wickstrøm"
    assert handin.safe_name("  Ada  (A.) Lovelace-King ") == "Ada_A_Lovelace-King"
    assert handin.safe_name("Zoë O'Brien / 王小明") == "Zoë_O_Brien_王小明"


def test_settings_are_the_one_place():
    assert report.COURSE_NAME is settings.COURSE_NAME
    from instructor import COURSE_NAME

    assert COURSE_NAME == settings.COURSE_NAME
    for assignment in settings.SAVED_FILES:  # every notebook that saves files names them in its source
        source = REPO_ROOT / "source" / assignment / f"{assignment}.ipynb"
        if source.exists():
            text = source.read_text()
            assert all(saved.name in text or saved.name.startswith("lenet_") for saved in
                       settings.SAVED_FILES[assignment]), assignment


def test_nbgrader_submit_to_an_exchange(student, tmp_path):
    exchange = tmp_path / "exchange"
    (exchange / settings.COURSE_ID / "inbound").mkdir(parents=True)
    (exchange / settings.COURSE_ID / "outbound" / "05_numpy_networks").mkdir(parents=True)
    shutil.copy(handin.notebook_path(student, "05_numpy_networks"), exchange / settings.COURSE_ID / "outbound" /
                "05_numpy_networks")
    out = tmp_path / "out"
    code = handin.main(["nbgrader", "--student", "aloveloc", "--root", str(student), "--output", str(out),
                        "--assignment", "05_numpy_networks", "--exchange", str(exchange)])
    assert code == 0
    (submission,) = (exchange / settings.COURSE_ID / "inbound").iterdir()
    assert submission.name.startswith("aloveloc+05_numpy_networks+")
    assert {"05_numpy_networks.ipynb", "p1_model.npz", "lenet_model.npz", "timestamp.txt"} <= {
        p.name for p in submission.iterdir()}


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "helpers.handin", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and all(name in result.stdout for name in settings.PACKAGES)


@pytest.mark.pdf
@pytest.mark.skipif(shutil.which("pdftotext") is None or report.missing_tools() is not None,
                    reason="needs xelatex, pandoc and pdftotext")
def test_a_real_report_names_the_course_and_the_student_and_shows_the_code(student, tmp_path):
    p1_only = replace(settings.SEED001, assignments=("05_numpy_networks",), entries=settings.SEED001.entries[:3])
    built = handin.build(p1_only, student, tmp_path, name=UNICODE_NAME, andrew_id="aloveloc")
    with zipfile.ZipFile(built) as zipped:
        pdf = tmp_path / "p1_report.pdf"
        pdf.write_bytes(zipped.read("aloveloc-HW1/p1/p1_report.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert settings.COURSE_NAME in flat and UNICODE_NAME in flat
    assert " ".join(STUDENT_LINE.split()) in flat
