"""The feedback preprocessor: hidden tests removed, failures reduced to their message (fast, without nbgrader runs)."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from instructor import authoring
from instructor.feedback import HIDDEN_NOTE, HideHiddenTests, feedback_text, leaked_lines

SECRET = "_want = oracle_of_the_instructor(seed=312)"


def _graded_notebook():
    test = authoring.tests("test_f", 2, f"""
        check_f(f)
        ### BEGIN HIDDEN TESTS
        {SECRET}
        assert f(3) == _want, "f(3) should be 9"
        ### END HIDDEN TESTS
    """)
    test.outputs = [new_output("error", ename="AssertionError", evalue="f(3) should be 9",
                               traceback=["Traceback", f"----> 2 {SECRET}", "AssertionError: f(3) should be 9"])]
    answer = authoring.solution("f", "def f(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION")
    answer.outputs = [new_output("error", ename="ValueError", evalue="mine", traceback=["line 1 of my code"])]
    return new_notebook(cells=[answer, test, new_code_cell("print('given code')")])


def test_hidden_regions_and_tracebacks_of_test_cells_are_removed():
    nb, _ = HideHiddenTests().preprocess(_graded_notebook(), {})
    answer, test, given = nb.cells
    assert SECRET not in test.source and "### BEGIN HIDDEN TESTS" not in test.source
    assert test.source.startswith("check_f(f)") and test.source.endswith(HIDDEN_NOTE)
    assert test.outputs[0].traceback == ["AssertionError: f(3) should be 9"], "the message must stay, the frames go"
    assert answer.outputs[0].traceback == ["line 1 of my code"], "a student's own traceback is theirs to read"
    assert given.source == "print('given code')"


def test_feedback_text_sees_through_highlighting_and_entities(tmp_path):
    page = tmp_path / "f.html"
    page.write_text('<style>.x{}</style><pre><span class="n">_want</span> <span class="o">=</span> '
                    '<span>oracle_of_the_instructor</span>(seed<span>=</span>312)\n&quot;ok&quot; &lt;3</pre>')
    text = feedback_text(page)
    assert SECRET in text and '"ok" <3' in text and ".x{}" not in text
    assert leaked_lines(text, {SECRET, "another hidden line of the test"}) == [SECRET]
    assert leaked_lines("my" + SECRET, {SECRET}) == [], "a visible line that merely contains a hidden one is no leak"


def test_hidden_lines_exclude_what_the_notebook_shows_anyway():
    from instructor.notebooks import hidden_test_lines

    nb = _graded_notebook()
    nb.cells[0].source = nb.cells[0].source.replace("return x * x", 'assert f(3) == _want, "f(3) should be 9"')
    assert hidden_test_lines(nb) == {SECRET}, "a line the solution also has is not a secret of the tests"


def test_outputs_name_no_folder_of_the_grading_machine():
    import sys
    from pathlib import Path

    from helpers.data import data_root

    here = str(Path.cwd().resolve())
    note = new_output("stream", name="stdout", text=f"[missing] {data_root()}/MNIST/raw/train-images-idx3-ubyte\n")
    error = new_output("error", ename="ValueError", evalue=f"bad file {here}/x.npz",
                       traceback=[f"File {sys.prefix}/lib/numpy/core.py:3", "ValueError: bad"])
    cell = new_code_cell("f()")
    cell.outputs = [note, error]
    nb, _ = HideHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    text = str(nb.cells[0].outputs)
    assert "<data>/MNIST/raw/train-images-idx3-ubyte" in text and "<course>/x.npz" in text
    assert "<python>/lib/numpy" in text
    assert str(data_root()) not in text and here not in text and sys.prefix not in text
