"""Every public check prints one ``[ok]`` line per check it passes and shows nothing else (course issue 15).

Each assignment's reference runs in this process as a student who solved every task runs the release
(:func:`instructor.inprocess.run_cells` with ``as_student=True``: hidden tests removed, quick mode, the generated
stand-in data). Every code cell that calls a public check (a function of ``helpers.checks`` named ``check_*`` or
``expect_*``, or ``saved_or_trained_model``, which checks the saved model it returns) must then show printed
``[ok]`` lines only, at least one per ``check_*`` call, and nothing else: no value of its last line (an
``array(...)``, a dict of weights), no figure, nothing on stderr. An ``expect_*`` building block prints nothing, so
a cell that checks with one alone fails here: such a cell uses ``check_shapes`` or a ``check_*`` instead.

The notes a check prints when it cannot judge (``[not judged]``, ``[skipped]``, ``[not checked yet]``,
``[warning]``) mean that an earlier piece of the reference fails, so they count as failures here; the autograder's
notes (``[..]``: the hidden tests run this check; ``[missing]``: a weight file was not handed in) never appear in a
student's run.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from types import ModuleType

import pytest

from instructor import inprocess
from instructor.course import assignments

PACKAGE = "helpers.checks"
LOADERS = {"saved_or_trained_model"}  # checks the handed-in model and returns it (assigned, never shown)


def _is_check(fn: object) -> bool:
    name = getattr(fn, "__name__", "")
    return (callable(fn) and getattr(fn, "__module__", "").startswith(PACKAGE)
            and (name.startswith(("check_", "expect_")) or name in LOADERS))


def _imports(sources: list[str]) -> tuple[dict[str, object], dict[str, ModuleType]]:
    """What a notebook imports from ``helpers.checks``: functions and modules, by the names they are bound to."""
    functions: dict[str, object] = {}
    modules: dict[str, ModuleType] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE)):
                continue
            package = importlib.import_module(node.module)
            for alias in node.names:
                obj = getattr(package, alias.name, None)
                if obj is None:  # a submodule not imported yet
                    obj = importlib.import_module(f"{node.module}.{alias.name}")
                bound = alias.asname or alias.name
                if inspect.ismodule(obj):
                    modules[bound] = obj
                else:
                    functions[bound] = obj
    return functions, modules


def _checks_called(source: str, functions: dict[str, object], modules: dict[str, ModuleType]) -> list[str]:
    """The public checks a cell calls, by name, once per call in its code."""
    called = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            fn = functions.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            fn = getattr(modules[func.value.id], func.attr, None)
        else:
            continue
        if _is_check(fn):
            called.append(fn.__name__)
    return called


def _problems(output: inprocess.CellOutput, checks: list[str]) -> list[str]:
    """What is wrong with what a cell that calls ``checks`` showed (nothing when it is right)."""
    problems = []
    if output.error:
        problems.append(f"raises {output.error}")
    if output.stderr.strip():
        problems.append(f"writes to stderr: {output.stderr.strip()[:300]}")
    if output.shown is not None:
        problems.append(f"shows the value of its last line: {output.shown[:300]}")
    if output.figures:
        problems.append(f"leaves {output.figures} figure(s) open, which the notebook shows")
    lines = [line for line in output.stdout.splitlines() if line.strip()]
    other = [line for line in lines if not line.startswith("[ok] ")]
    if other:
        problems.append("prints lines that are not [ok] lines: " + " | ".join(line[:200] for line in other[:5]))
    wanted = max(1, sum(not name.startswith("expect_") for name in checks))
    if len(lines) - len(other) < wanted:
        problems.append(f"prints {len(lines) - len(other)} [ok] line(s) for its {wanted} check(s) "
                        f"({', '.join(checks)})")
    return problems


@pytest.mark.parametrize("assignment", assignments())
def test_public_checks_print_only_ok_lines_in_a_students_run(assignment):
    outputs = inprocess.run_cells(assignment, as_student=True)
    functions, modules = _imports([output.source for output in outputs])
    assert modules or functions, f"{assignment} imports nothing from {PACKAGE}"
    failures, checked = {}, 0
    for output in outputs:
        checks = _checks_called(output.source, functions, modules)
        if not checks:
            continue
        checked += 1
        problems = _problems(output, checks)
        if problems:
            failures[output.key] = problems
    assert checked, f"no cell of {assignment} calls a public check"
    assert not failures, "\n".join(f"{key}: {'; '.join(problems)}" for key, problems in failures.items())


@pytest.mark.parametrize(("source", "stdout", "shown", "figures", "bad"), [
    ("checks.check_relu(relu)", "[ok] relu\n", None, 0, ""),
    ("checks.check_relu(relu)\ncheck_shapes((x, (), 'x'))", "[ok] relu\n[ok] shapes: x ()\n", None, 0, ""),
    ("x = 1", "", "1", 1, ""),  # not a check cell
    ("checks.check_relu(relu)", "", None, 0, "prints 0 [ok] line(s) for its 1 check(s)"),
    ("checks.check_relu(relu)\nchecks.check_elu(elu)", "[ok] relu\n", None, 0, "1 [ok] line(s) for its 2 check(s)"),
    ("expect_shape(x_star, (), 'x_star')", "", "array(1.5)", 0, "shows the value of its last line: array(1.5)"),
    ("expect_shape(x_star, (), 'x_star')", "", "array(1.5)", 0, "prints 0 [ok] line(s) for its 1 check(s)"),
    ("checks.check_relu(relu)", "[ok] relu\n[skipped] elu: fix `relu`\n", None, 0, "not [ok] lines: [skipped]"),
    ("checks.check_relu(relu)", "[ok] relu\n", None, 1, "leaves 1 figure(s) open"),
])
def test_the_judge_refuses_what_a_student_should_not_see(source, stdout, shown, figures, bad):
    """The rule itself, on made-up outputs: a bare value, a missing or foreign line, a figure."""
    functions, modules = _imports(["from helpers.checks import a01_gelu_gradient_descent as checks\n"
                                   "from helpers.checks import check_shapes, expect_shape"])
    checks = _checks_called(source, functions, modules)
    if not checks:
        assert not bad, "a cell that calls no check is not judged"
        return
    problems = _problems(inprocess.CellOutput("cell", source, stdout, "", "", shown, figures), checks)
    if bad:
        assert any(bad in problem for problem in problems), problems
    else:
        assert not problems, problems


def test_run_cells_shows_what_a_kernel_shows():
    """The runner this test relies on: printed text, the last value unless a ``;`` hides it, figures left open,
    and, as a student, the test cells without their hidden tests."""
    from instructor import authoring

    notebook = authoring.notebook([
        authoring.code("import matplotlib.pyplot as plt\nimport numpy as np"),
        authoring.code("print('[ok] printed')\nnp.zeros(2)"),
        authoring.code("np.zeros(2);"),
        authoring.code("plt.plot([1, 2])\nplt.figure()\nx = 1"),
        authoring.tests("test_x", 1, "print('[ok] visible')\n### BEGIN HIDDEN TESTS\nprint('hidden')\nx\n"
                                     "### END HIDDEN TESTS"),
    ], "outputs")
    graded = inprocess.run_cells(notebook)
    student = inprocess.run_cells(notebook, as_student=True)
    assert (graded[1].stdout, graded[1].shown) == ("[ok] printed\n", "array([0., 0.])")
    assert graded[2].shown is None and graded[3].figures == 2 and graded[4].figures == 0
    assert (graded[4].stdout, graded[4].shown) == ("[ok] visible\nhidden\n", "1")
    assert (student[4].key, student[4].stdout, student[4].shown) == ("test_x", "[ok] visible\n", None)
