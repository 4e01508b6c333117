"""Public checks for notebook 01 (GELU and gradient descent).

They test properties any correct answer has (symmetries, limits, agreement with
finite differences, a worked example on f(x) = x^2), never the assignment's own
numbers: those are graded by hidden tests.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks import CheckFailed, call_quietly, expect_callable, expect_close, expect_shape, expect_type, passed
from helpers.checks.gradcheck import check_gradient, elementwise_derivative

Fn = Callable[..., object]
_PROBE = np.array([[-3.0, -1.5, -0.2], [0.0, 0.7, 2.5]])


def _shape_preserved(fn: Fn, name: str, **kwargs: object) -> np.ndarray:
    expect_callable(fn, name)
    out = expect_shape(call_quietly(fn, _PROBE.copy(), **kwargs), _PROBE.shape, f"{name}(x) for x of shape (2, 3)")
    expect_shape(call_quietly(fn, 0.5, **kwargs), (), f"{name}(0.5)")
    return out


def check_sigmoid(sigmoid: Fn) -> None:
    """sigmoid(0) = 1/2, values in (0, 1), sigmoid(-x) = 1 - sigmoid(x), slope 1/4 at 0."""
    out = _shape_preserved(sigmoid, "sigmoid")
    expect_close(call_quietly(sigmoid, 0.0), 0.5, "sigmoid(0)")
    if not np.all((out > 0) & (out < 1)):
        raise CheckFailed("sigmoid(x) must lie strictly between 0 and 1 for these moderate inputs.")
    expect_close(call_quietly(sigmoid, -_PROBE), 1 - out, "sigmoid(-x)", hint="sigmoid(-x) = 1 - sigmoid(x).")
    slope = elementwise_derivative(sigmoid, np.array(0.0))
    expect_close(slope, 0.25, "the slope of sigmoid at 0", rtol=1e-5)
    passed("sigmoid: shape, range, symmetry and slope at 0")


def check_gelu(gelu: Fn) -> None:
    """gelu(0) = 0, gelu(x) - gelu(-x) = x, gelu(x) ~ x for large x and ~ 0 for very negative x."""
    out = _shape_preserved(gelu, "gelu")
    expect_close(call_quietly(gelu, 0.0), 0.0, "gelu(0)")
    expect_close(out - call_quietly(gelu, -_PROBE), _PROBE, "gelu(x) - gelu(-x)",
                 hint="x*s(kx) - (-x)*s(-kx) = x because s(kx) + s(-kx) = 1.")
    expect_close(call_quietly(gelu, 12.0), 12.0, "gelu(12)", rtol=1e-6)
    expect_close(call_quietly(gelu, -12.0), 0.0, "gelu(-12)", atol=1e-6)
    passed("gelu: shape, gelu(0), the identity gelu(x) - gelu(-x) = x and both limits")


def check_gelu_grad(gelu_grad: Fn, gelu: Fn) -> None:
    """Your derivative against centred differences of your own gelu, at random points."""
    _shape_preserved(gelu_grad, "gelu_grad")
    x = np.random.default_rng(1).uniform(-4, 4, size=20)
    analytic = expect_shape(call_quietly(gelu_grad, x), x.shape, "gelu_grad(x)")
    check_gradient(analytic, elementwise_derivative(gelu, x), "gelu_grad vs finite differences of gelu")


def check_relu(relu: Fn) -> None:
    """relu keeps positive inputs and zeroes negative ones."""
    out = _shape_preserved(relu, "relu")
    expect_close(out, np.where(_PROBE > 0, _PROBE, 0.0), "relu(x)", hint="negative inputs become 0.")
    passed("relu: shape and values")


def check_elu(elu: Fn) -> None:
    """elu is x for x >= 0, tends to -alpha for very negative x, and is continuous at 0."""
    _shape_preserved(elu, "elu")
    expect_close(call_quietly(elu, 2.0), 2.0, "elu(2)")
    expect_close(call_quietly(elu, -40.0, alpha=0.5), -0.5, "elu(-40, alpha=0.5)", atol=1e-9,
                 hint="alpha * (e^x - 1) tends to -alpha.")
    expect_close(call_quietly(elu, -1e-9), 0.0, "elu(-1e-9)", atol=1e-8, hint="ELU is continuous at 0.")
    passed("elu: positive side, limit -alpha and continuity at 0")


def _square_grad(x: float) -> float:
    return 2.0 * x


def check_gradient_descent(gradient_descent: Fn) -> None:
    """On f(x) = x^2 with eta = 0.25 every step halves x: 8, 4, 2, 1."""
    expect_callable(gradient_descent, "gradient_descent")
    path = call_quietly(gradient_descent, _square_grad, 8.0, 0.25, 3)
    expect_type(path, np.ndarray, "gradient_descent(grad, 8.0, 0.25, steps=3)")
    path = expect_shape(path, (4,), "gradient_descent(grad, 8.0, 0.25, steps=3)")
    expect_close(path[0], 8.0, "the first iterate", hint="the returned array starts with x0.")
    expect_close(path, [8.0, 4.0, 2.0, 1.0], "the iterates on f(x) = x^2",
                 hint="x_{t+1} = x_t - eta * f'(x_t); here f'(x) = 2x.")
    expect_shape(call_quietly(gradient_descent, _square_grad, 1.0, 0.1, 0), (1,), "gradient_descent(..., steps=0)")
    passed("gradient_descent: shape (steps + 1,), starts at x0, halves x on f(x) = x^2")


def check_momentum_descent(momentum_descent: Fn) -> None:
    """Shape, start at x0, first step equal to a GD step, and beta = 0 equal to plain GD (on f(x) = x^2 with
    eta = 0.1 every plain GD step multiplies x by 1 - 2 * 0.1 = 0.8)."""
    expect_callable(momentum_descent, "momentum_descent")
    path = call_quietly(momentum_descent, _square_grad, 8.0, 0.25, 0.9, 3)
    expect_type(path, np.ndarray, "momentum_descent(grad, 8.0, 0.25, 0.9, steps=3)")
    path = expect_shape(path, (4,), "momentum_descent(grad, 8.0, 0.25, 0.9, steps=3)")
    expect_close(path[:2], [8.0, 4.0], "the first two iterates",
                 hint="with v_0 = f'(x_0), v_1 = f'(x_0), so the first step is a plain GD step.")
    expect_close(call_quietly(momentum_descent, _square_grad, 3.0, 0.1, 0.0, 5), 3.0 * 0.8 ** np.arange(6),
                 "momentum_descent with beta = 0 on f(x) = x^2, eta = 0.1, from 3",
                 hint="beta = 0 forgets the past: it is plain GD, which here multiplies x by 0.8 at every step.")
    passed("momentum_descent: shape, first step, and beta = 0 gives plain gradient descent")


def check_path(xs: object, values: object, x0: float, steps: int, gelu: Fn, name: str) -> None:
    """An answer to (a)-(c): steps + 1 iterates from x0 and their GELU values."""
    xs = expect_shape(xs, (steps + 1,), f"{name} iterates")
    expect_close(xs[0], x0, f"the first of the {name} iterates", hint="keep x0 as the first entry.")
    expect_close(values, call_quietly(gelu, xs), f"the GELU values of {name}", hint="apply gelu to the iterates.")
    passed(f"{name}: {steps + 1} iterates starting at x0 = {x0}, with their GELU values")


def check_find_minimum(find_minimum: Fn) -> None:
    """On f(x) = (x - 0.3)^2 / 2, whose derivative is x - 0.3, the minimum is at 0.3."""
    expect_callable(find_minimum, "find_minimum")
    x = expect_shape(call_quietly(find_minimum, lambda t: t - 0.3, -1.0, 1.0), (), "find_minimum(grad, -1, 1)")
    expect_close(x, 0.3, "the minimiser of (x - 0.3)^2 / 2", rtol=0, atol=1e-8)
    passed("find_minimum: finds the minimum of a parabola")
