import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks import CheckFailed
from helpers.checks.gradcheck import check_gradient, elementwise_derivative, numerical_gradient, relative_error


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_numerical_gradient_of_a_matrix_product_matches_the_analytic_one(seed):
    rng = np.random.default_rng(seed)
    x, w, upstream = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    numeric = numerical_gradient(lambda a: a @ w, x, upstream)
    assert relative_error(numeric, upstream @ w.T) < 1e-7


def test_numerical_gradient_of_a_scalar_function():
    x = np.array([0.3, -1.2, 2.0])
    assert relative_error(numerical_gradient(lambda a: np.sum(np.sin(a)), x), np.cos(x)) < 1e-8


def test_numerical_gradient_leaves_its_input_alone():
    x = np.array([1.0, 2.0])
    numerical_gradient(lambda a: a**2, x)
    assert x.tolist() == [1.0, 2.0]


def test_elementwise_derivative():
    x = np.linspace(-2, 2, 7)
    assert relative_error(elementwise_derivative(np.tanh, x), 1 - np.tanh(x) ** 2) < 1e-8


@given(st.floats(-1e3, 1e3, allow_nan=False), st.floats(-1e3, 1e3, allow_nan=False))
def test_relative_error_is_symmetric_and_bounded(a, b):
    e = relative_error(np.array([a]), np.array([b]))
    assert e == relative_error(np.array([b]), np.array([a]))
    assert 0.0 <= e <= 1.0


def test_check_gradient_accepts_a_right_gradient_and_refuses_a_wrong_one(capsys):
    x = np.random.default_rng(0).normal(size=5)
    numeric = numerical_gradient(lambda a: np.sum(a**3), x)
    assert relative_error(3 * x**2, numeric) < 1e-6
    assert check_gradient(3 * x**2, numeric, "cube") is None  # a cell that ends with the check shows nothing
    out = capsys.readouterr().out
    assert out.startswith("[ok] cube: relative error") and out.count("\n") == 1, out
    with pytest.raises(CheckFailed, match="probably wrong"):
        check_gradient(2 * x**2, numeric, "cube")
    with pytest.raises(CheckFailed, match="shape"):
        check_gradient((3 * x**2)[:, None], numeric, "cube")
    with pytest.raises(CheckFailed):
        check_gradient(np.full(5, np.nan), numeric, "cube")
