"""One name per assignment, and the hidden tests kept short: the layout every notebook follows.

Every assignment ``<NN>_<name>`` has its source notebook, its release, its public checks
``helpers/checks/a<NN>_<name>.py``, its grading code ``instructor/grading/a<NN>_<name>.py`` and its catalogue
``tests/catalogue/<NN>_<name>.py``, the reference's time per cell ``instructor/timing/<NN>_<name>.json``; its
hidden tests only call its grading module, in a few lines.
"""

from __future__ import annotations

import ast
import re

import pytest

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.course import assignments

MAX_HIDDEN_LINES = 6  # per test cell: imports and one or two calls


def _hidden_regions(assignment: str) -> dict[str, str]:
    source = nbs.read(REPO_ROOT / "source" / assignment / f"{assignment}.ipynb")
    regions = {}
    for cell in source.cells:
        if nbs.is_test(cell) and nbs.BEGIN_HIDDEN in cell.source:
            inside = cell.source.split(nbs.BEGIN_HIDDEN, 1)[1].split(nbs.END_HIDDEN, 1)[0]
            regions[nbs.grade_id(cell)] = inside
    return regions


@pytest.mark.parametrize("assignment", assignments())
def test_every_piece_carries_the_assignments_name(assignment):
    module = f"a{assignment}"
    expected = [f"source/{assignment}/{assignment}.ipynb", f"release/{assignment}/{assignment}.ipynb",
                f"helpers/checks/{module}.py", f"instructor/grading/{module}.py", f"tests/catalogue/{assignment}.py",
                f"instructor/timing/{assignment}.json"]
    missing = [path for path in expected if not (REPO_ROOT / path).is_file()]
    assert not missing, f"{assignment} lacks {missing}"


@pytest.mark.parametrize("assignment", assignments())
def test_hidden_tests_only_call_their_grading_module(assignment):
    regions = _hidden_regions(assignment)
    assert regions, f"{assignment} has no hidden tests"
    for cell, text in regions.items():
        lines = [line for line in text.split("\n") if line.strip() and not line.strip().startswith("#")]
        assert len(lines) <= MAX_HIDDEN_LINES, (
            f"{assignment} {cell}: {len(lines)} hidden lines; the grading code belongs in "
            f"instructor/grading/a{assignment}.py")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert names == [f"instructor.grading.a{assignment}"], (
                    f"{assignment} {cell} imports {names}: hidden tests import only their grading module")


def test_helpers_never_import_instructor():
    offenders = [str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "helpers").rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+instructor\b", p.read_text(), re.MULTILINE)]
    assert not offenders, f"helpers (released to students) import the instructor package: {offenders}"


def test_grading_modules_belong_to_an_assignment():
    modules = {p.stem for p in (REPO_ROOT / "instructor" / "grading").glob("a*.py")}
    strays = modules - {f"a{a}" for a in assignments()}
    assert not strays, f"grading modules named after no assignment: {sorted(strays)}"
