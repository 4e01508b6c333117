"""instructor.inprocess scores test cells as nbgrader does: errors and stderr zero, numbers as partial credit."""

from __future__ import annotations

from instructor import authoring, inprocess


def _notebook():
    return authoring.notebook([
        authoring.code("import sys\nimport warnings"),
        authoring.solution("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
        authoring.tests("test_passes", 2, "assert double(3) == 6"),
        authoring.tests("test_raises", 2, "assert double(3) == 7, 'double is wrong'"),
        authoring.tests("test_stderr", 2, "print('oops', file=sys.stderr)"),
        authoring.tests("test_warns", 2, "warnings.warn('careful')"),
        authoring.tests("test_partial", 3, "1.5"),
        authoring.tests("test_numpy_number", 3, "import numpy as np\nnp.float64(2.0)"),
        authoring.tests("test_negative", 3, "-1"),
        authoring.tests("test_text", 1, "'done'"),
    ], "in-process")


def test_scores_like_nbgrader():
    results = inprocess.grade(_notebook())
    scores = {cell: r.score for cell, r in results.items()}
    assert scores == {"test_passes": 2, "test_raises": 0, "test_stderr": 0, "test_warns": 0, "test_partial": 1.5,
                      "test_numpy_number": 3, "test_negative": 3, "test_text": 1}
    assert "double is wrong" in results["test_raises"].message
    assert "oops" in results["test_stderr"].message


def test_numpy_scalars_show_as_text_so_nbgrader_gives_full_points():
    """``np.float64(2.0)`` shows as ``np.float64(2.0)``, not a number: a performance cell must return a float."""
    import numpy as np

    if not repr(np.float64(2.0)).startswith("np."):
        return  # NumPy 1 shows plain numbers
    assert inprocess.grade(_notebook(), only={"test_numpy_number"})["test_numpy_number"].score == 3


def test_an_answer_replaces_the_solution_and_errors_do_not_stop_the_notebook():
    results = inprocess.grade(_notebook(), {"double": "def double(x):\n    raise ValueError('no')"})
    assert results["test_passes"].score == 0 and "ValueError: no" in results["test_passes"].message
    assert results["test_partial"].score == 1.5


def test_only_and_until_limit_what_runs():
    results = inprocess.grade(_notebook(), only={"test_raises", "test_partial"}, until="test_partial")
    assert set(results) == {"test_raises", "test_partial"}
