"""Hidden tests of notebook 01 (GELU and gradient descent).

The oracles are PyTorch (``torch.sigmoid``, autograd for the GELU derivative, ``torch.relu``, ``F.elu``) and plain
loops written here (gradient descent with momentum, bisection); none of them is the reference solution.

Each ``grade_<task>`` grades one task:

- the activations are called on copies of their inputs (an input written in place is named), at random points
  and at the edges the text states: exactly 0 (both signs), numbers so small or so large that ``exp`` under- or
  overflows, and scalars, which must give scalars;
- ``gelu`` and ``gelu_grad`` run with the oracle ``sigmoid`` (and ``gelu``) in place of the student's, so a wrong
  sigmoid costs the sigmoid cell only;
- the runs (a)-(c) and ``x_star`` are values computed in the notebook from earlier functions: they must equal the
  oracle's, or, where the student's earlier functions are wrong (which their own cells already charge), what those
  functions give for the task's settings.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import CheckFailed, as_float_array, call_quietly, expect_close

Fn = Callable[..., Any]
K = 1.702  # GELU(x) ~ x * sigmoid(K x)

# The edges every activation must handle: zero of both signs, subnormal-sized inputs, and tails far enough out
# that exp(x) or exp(-x) overflows.
EDGES = np.array([-1000.0, -745.0, -50.0, -1e-300, -0.0, 0.0, 1e-300, 50.0, 745.0, 1000.0])
# The same for the derivative of GELU, whose expanded exponential forms are right but overflow sooner.
GRAD_EDGES = np.array([-40.0, -8.0, -1e-300, -0.0, 0.0, 1e-300, 8.0, 40.0])


# ---------------------------------------------------------------------------------------------------------------
# Oracles


def _tensor(x: Any) -> torch.Tensor:
    """A float64 tensor holding a copy of ``x``."""
    return torch.tensor(np.asarray(x, dtype=np.float64))


def _numpy(t: torch.Tensor) -> Any:
    """A tensor as NumPy: an array, or a NumPy float for a 0-d tensor (as NumPy's functions return for a float)."""
    out = t.detach().numpy()
    return out[()] if out.ndim == 0 else out


def oracle_sigmoid(x: Any) -> Any:
    """The logistic sigmoid, element-wise."""
    return _numpy(torch.sigmoid(_tensor(x)))


def oracle_gelu(x: Any) -> Any:
    """GELU in its sigmoid approximation x * sigmoid(1.702 x), element-wise."""
    t = _tensor(x)
    return _numpy(t * torch.sigmoid(K * t))


def oracle_gelu_grad(x: Any) -> Any:
    """The derivative of :func:`oracle_gelu`, by autograd."""
    t = _tensor(x).requires_grad_(True)
    (t * torch.sigmoid(K * t)).sum().backward()
    return _numpy(t.grad)


def oracle_relu(x: Any) -> Any:
    return _numpy(torch.relu(_tensor(x)))


def oracle_elu(x: Any, alpha: float = 1.0) -> Any:
    return _numpy(F.elu(_tensor(x), alpha=alpha))


def _slope(x: float) -> float:
    """GELU'(x) for one number."""
    return float(oracle_gelu_grad(x))


def oracle_path(grad: Fn, x0: float, eta: float, steps: int, beta: float = 0.0) -> np.ndarray:
    """The iterates x_0, ..., x_steps of gradient descent with momentum, as the notebook defines it:
    v_0 = f'(x_0), v_{t+1} = beta v_t + (1 - beta) f'(x_t), x_{t+1} = x_t - eta v_{t+1}.

    With ``beta = 0`` every step is exactly a plain gradient-descent step x_{t+1} = x_t - eta f'(x_t).
    """
    xs, v = [float(x0)], float(grad(x0))
    for _ in range(steps):
        v = beta * v + (1 - beta) * grad(xs[-1])
        xs.append(xs[-1] - eta * v)
    return np.array(xs)


@functools.cache
def oracle_minimiser() -> float:
    """The minimiser of GELU: 80 halvings of [-2, 0] on the sign of the autograd derivative."""
    lo, hi = -2.0, 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if _slope(mid) > 0 else (mid, hi)
    return lo


_ORACLES: dict[str, Fn] = {"sigmoid": oracle_sigmoid, "gelu": oracle_gelu}


def _wavy_bowl(a: float, c: float, wave: Callable[[Any], Any]) -> Fn:
    """The derivative 2a(x - c) + wave(x) of a bowl with ripples (a random objective for the descent routines)."""
    return lambda x: 2 * a * (x - c) + wave(x)


def _cubic_slope(r: float) -> Fn:
    """The derivative (x - r) + (x - r)^3 / 2, negative left of r and positive right of it."""
    return lambda x: (x - r) + 0.5 * (x - r) ** 3


# ---------------------------------------------------------------------------------------------------------------
# Calling the student's code


def _with_oracles(fn: Fn, *names: str) -> Fn:
    """``fn`` calling the oracles of the notebook functions ``names`` instead of the student's.

    A notebook function finds ``sigmoid`` in its globals, the notebook's namespace; the clone runs the same code
    with a copy of that namespace in which ``names`` are the oracles. Anything but a plain function is returned
    as it is.
    """
    if not isinstance(fn, types.FunctionType):
        return fn
    namespace = dict(fn.__globals__)
    namespace.update({name: _ORACLES[name] for name in names})
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _call(fn: Fn, name: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` quietly, on copies of the array arguments; fail if it wrote into one of them."""
    copies = [arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args]
    result = call_quietly(fn, *copies, **kwargs)
    for given, copy in zip(args, copies):
        if isinstance(given, np.ndarray) and not np.array_equal(given, copy, equal_nan=True):
            raise CheckFailed(f"`{name}` changed the array it was given: it writes into its input in place. Leave "
                              "the input unchanged and return a new array (np.where, np.maximum, ... do).")
    return result


def _describe(x: Any) -> str:
    if np.ndim(x) == 0:
        return f"x = {float(x):g}"
    if x is EDGES or x is GRAD_EDGES:
        return "x = [" + ", ".join(f"{v:g}" for v in x) + "]"
    return f"x of shape {np.shape(x)}"


def _check_activation(fn: Fn, name: str, oracle: Fn, inputs: Sequence[Any], *, rtol: float, atol: float,
                      **kwargs: Any) -> None:
    """``fn`` equals ``oracle`` on each input (same shape; a scalar gives a scalar) and leaves the input alone."""
    shown = "".join(f", {key}={value:g}" for key, value in kwargs.items())
    for x in inputs:
        expect_close(_call(fn, name, x, **kwargs), oracle(x, **kwargs), f"{name}(x{shown}) for {_describe(x)}",
                     rtol=rtol, atol=atol)


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    try:
        expect_close(a, b, "value", rtol=rtol, atol=atol)
    except CheckFailed:
        return False
    return True


def _expect_value(value: Any, want: Any, name: str, own: Callable[[], Any], *, rtol: float, atol: float) -> np.ndarray:
    """Fail unless ``value`` is close to the oracle's ``want``, or to ``own()``: what the student's own earlier
    functions give for this task when they are wrong (a mistake their own cells charge). Returns the value."""
    try:
        expect_close(value, want, name, rtol=rtol, atol=atol)
    except CheckFailed as error:
        try:
            mine = call_quietly(own)
        except Exception:  # an unfinished or broken earlier function: the oracle alone judges
            raise error from None
        if _close(mine, want, rtol, atol) or not _close(value, mine, rtol, atol):
            raise error from None
    return as_float_array(value, name)


# ---------------------------------------------------------------------------------------------------------------
# Task 1: the activations


def grade_sigmoid(sigmoid: Fn) -> None:
    """``sigmoid`` against ``torch.sigmoid``: random arrays of three shapes, the edges, and scalars (0 included)."""
    rng = np.random.default_rng(101)
    arrays = [rng.uniform(-30, 30, size=shape) for shape in [(7,), (3, 4), (2, 3, 5)]]
    _check_activation(sigmoid, "sigmoid", oracle_sigmoid, [*arrays, EDGES, -8.0, -0.3, 0.0, 2.2],
                      rtol=1e-9, atol=1e-12)


def grade_gelu(gelu: Fn) -> None:
    """``gelu`` (with the oracle sigmoid) against x * torch.sigmoid(1.702 x): random, the edges, scalars."""
    x = np.random.default_rng(102).uniform(-8, 8, size=(4, 6))
    _check_activation(_with_oracles(gelu, "sigmoid"), "gelu", oracle_gelu, [x, EDGES, -0.75, 0.0],
                      rtol=1e-9, atol=1e-12)


def grade_gelu_grad(gelu_grad: Fn) -> None:
    """``gelu_grad`` (with the oracle sigmoid and gelu) against autograd; GELU'(0) = 1/2 exactly at 0."""
    x = np.random.default_rng(103).uniform(-6, 6, size=(5, 5))
    _check_activation(_with_oracles(gelu_grad, "sigmoid", "gelu"), "gelu_grad", oracle_gelu_grad,
                      [x, GRAD_EDGES, -0.75, 0.0], rtol=1e-8, atol=1e-12)


def grade_relu(relu: Fn) -> None:
    """``relu`` against ``torch.relu``: random, the edges, scalars (0 included)."""
    x = np.random.default_rng(104).normal(size=(6, 3)) * 5
    _check_activation(relu, "relu", oracle_relu, [x, EDGES, -2.5, 0.0, 3.0], rtol=1e-9, atol=1e-12)


def grade_elu(elu: Fn) -> None:
    """``elu`` against ``F.elu`` for three alphas and the default: random, the edges, scalars (0 included)."""
    x = np.random.default_rng(105).normal(size=(4, 5)) * 4
    for alpha in [1.0, 0.3, 2.5]:
        _check_activation(elu, "elu", oracle_elu, [x, EDGES, -2.0], rtol=1e-9, atol=1e-12, alpha=alpha)
    _check_activation(elu, "elu", oracle_elu, [x, EDGES, -2.0, 0.0], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Tasks 2 and 3: gradient descent, with and without momentum


Case = tuple[Fn, float, float, float, int]  # grad, x0, eta, beta, steps


def _descent_cases(seed: int, wave: Callable[[Any], Any], momentum: bool) -> list[Case]:
    """(grad, x0, eta, beta, steps): five random cases drawn as the hidden tests always drew them, then the edges
    the text allows (no step at all, one step, beta = 0, beta near 1, a long run)."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(5):
        a, c, x0 = rng.uniform(0.2, 2.0), rng.uniform(-2, 2), rng.uniform(-5, 5)
        if momentum:
            eta, beta, steps = rng.uniform(0.01, 0.4), rng.uniform(0.3, 0.95), int(rng.integers(2, 9))
        else:
            eta, beta, steps = rng.uniform(0.01, 0.4), 0.0, int(rng.integers(0, 9))
        cases.append((_wavy_bowl(a, c, wave), x0, eta, beta, steps))
    grad = _wavy_bowl(0.7, 0.4, wave)
    betas = [0.0, 0.99, 0.5] if momentum else [0.0]
    cases += [(grad, 1.5, 0.2, betas[-1], 0), (grad, -2.5, 0.3, betas[-1], 1)]
    cases += [(grad, 4.0, 0.05, beta, 40) for beta in betas]
    return cases


def _path(value: Any, task: str) -> Any:
    """The iterates a descent returns, which must be a NumPy array (the notebook's plots and GELU take arrays)."""
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"`{task}` returns a {type(value).__name__}; return the iterates as a NumPy array of shape "
                          "(steps + 1,) (np.array(xs)): the parts below compute gelu(xs) of it.")
    return value


def grade_gradient_descent(gradient_descent: Fn) -> None:
    """``gradient_descent`` against the plain loop on random wavy bowls, for 0 to 40 steps; a NumPy array."""
    for grad, x0, eta, _, steps in _descent_cases(106, np.sin, momentum=False):
        expect_close(_path(_call(gradient_descent, "gradient_descent", grad, x0, eta, steps), "gradient_descent"),
                     oracle_path(grad, x0, eta, steps),
                     f"gradient_descent(grad, {x0:.3f}, {eta:.3f}, {steps})", rtol=1e-10, atol=1e-12)


def grade_momentum_descent(momentum_descent: Fn) -> None:
    """``momentum_descent`` against the loop of the text on random wavy bowls, for 0 to 40 steps, beta 0 to 0.99;
    a NumPy array."""
    for grad, x0, eta, beta, steps in _descent_cases(107, np.cos, momentum=True):
        expect_close(_path(_call(momentum_descent, "momentum_descent", grad, x0, eta, beta, steps),
                           "momentum_descent"),
                     oracle_path(grad, x0, eta, steps, beta),
                     f"momentum_descent(grad, {x0:.3f}, {eta:.3f}, {beta:.3f}, {steps})", rtol=1e-10, atol=1e-12)


@dataclass(frozen=True)
class Run:
    """One of the notebook's runs on GELU: three steps from x0 with step size eta (and momentum beta)."""

    x0: float
    eta: float
    beta: float | None = None
    steps: int = 3

    def want(self) -> np.ndarray:
        return oracle_path(_slope, self.x0, self.eta, self.steps, self.beta or 0.0)

    def own(self, method: Fn, gelu_grad: Fn) -> Any:
        """The student's routine ``method`` with the student's ``gelu_grad``, on this run's settings."""
        if self.beta is None:
            return method(gelu_grad, self.x0, self.eta, self.steps)
        return method(gelu_grad, self.x0, self.eta, self.beta, self.steps)


RUNS = {"a": Run(0.0, 0.1), "b": Run(0.0, 1.0), "c_gd": Run(-3.0, 0.1), "c_momentum": Run(-3.0, 0.1, beta=0.9)}


def _expect_run(name: str, xs: Any, values: Any, method: Fn, gelu_grad: Fn, gelu: Fn) -> None:
    """``xs_<name>`` are the iterates of run ``name`` and ``gelu_<name>`` their GELU values."""
    run = RUNS[name]
    path = _expect_value(xs, run.want(), f"xs_{name}", lambda: run.own(method, gelu_grad), rtol=1e-9, atol=1e-12)
    _expect_value(values, oracle_gelu(path), f"gelu_{name}", lambda: gelu(path.copy()), rtol=1e-9, atol=1e-13)


def grade_part(part: str, xs: Any, values: Any, gradient_descent: Fn, gelu_grad: Fn, gelu: Fn) -> None:
    """Part (a) or (b): ``xs`` the three-step gradient-descent path from 0, ``values`` its GELU values."""
    _expect_run(part, xs, values, gradient_descent, gelu_grad, gelu)


def grade_part_c(xs_gd: Any, gelu_gd: Any, xs_momentum: Any, gelu_momentum: Any, gradient_descent: Fn,
                 momentum_descent: Fn, gelu_grad: Fn, gelu: Fn) -> None:
    """Part (c): both three-step paths from -3 (plain and with momentum 0.9) and their GELU values."""
    _expect_run("c_gd", xs_gd, gelu_gd, gradient_descent, gelu_grad, gelu)
    _expect_run("c_momentum", xs_momentum, gelu_momentum, momentum_descent, gelu_grad, gelu)


# ---------------------------------------------------------------------------------------------------------------
# Task 4: the minimum


def grade_find_minimum(find_minimum: Fn) -> None:
    """``find_minimum`` on random cubics: within the default tol (1e-10) of the root, and within a tol it is given,
    also where the minimum is flat (a slope 20 times gentler: a small gradient is not yet a small distance)."""
    rng = np.random.default_rng(108)
    for _ in range(4):
        r = rng.uniform(-3, 3)
        lo, hi = r - rng.uniform(0.1, 4), r + rng.uniform(0.1, 4)
        expect_close(call_quietly(find_minimum, _cubic_slope(r), lo, hi), r,
                     f"find_minimum(grad, {lo:.3f}, {hi:.3f}) on a cubic with its minimum at {r:.6f}",
                     rtol=0, atol=1e-10 + 1e-15)
    for tol in [1e-12, 1e-3]:
        r = rng.uniform(-3, 3)
        lo, hi = r - rng.uniform(0.1, 4), r + rng.uniform(0.1, 4)
        expect_close(call_quietly(find_minimum, _cubic_slope(r), lo, hi, tol=tol), r,
                     f"find_minimum(grad, {lo:.3f}, {hi:.3f}, tol={tol:g}) on a cubic with its minimum at {r:.6f}",
                     rtol=0, atol=tol + 1e-15, hint="stop when the bracket is shorter than tol, not before.")
    for tol in [1e-3, 1e-6]:
        r = rng.uniform(-3, 3)
        lo, hi = r - rng.uniform(0.1, 4), r + rng.uniform(0.1, 4)
        slope = _cubic_slope(r)
        expect_close(call_quietly(find_minimum, lambda x, slope=slope: 0.05 * slope(x), lo, hi, tol=tol), r,
                     f"find_minimum(grad, {lo:.3f}, {hi:.3f}, tol={tol:g}) on a flat minimum at {r:.6f}",
                     rtol=0, atol=tol + 1e-15, hint="stop when the bracket is shorter than tol: a gradient smaller "
                                                    "than tol does not mean that x is within tol of the minimum.")


def grade_x_star(x_star: Any, gelu_star: Any, find_minimum: Fn, gelu_grad: Fn, gelu: Fn) -> None:
    """``x_star`` within 1e-6 of the minimiser of GELU, ``gelu_star`` its GELU value."""
    x = _expect_value(x_star, oracle_minimiser(), "x_star", lambda: find_minimum(gelu_grad, -2.0, 0.0),
                      rtol=0, atol=1e-6)
    _expect_value(gelu_star, oracle_gelu(x), "gelu_star", lambda: gelu(x.copy()), rtol=1e-6, atol=1e-12)
