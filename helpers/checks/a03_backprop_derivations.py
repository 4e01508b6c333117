"""Public checks for notebook 03 (backpropagation by hand).

They test properties every correct answer has (consistent shapes, rows of a
softmax summing to one, invariances), small worked examples of their own, and
agreement with centred finite differences (``helpers.checks.gradcheck``). Finite
differences run on the student's own forward pass where that pass defines the
quantity, and on the definitions written in the notebook where a partial
derivative holds some variables fixed (``df/dsigma^2``, ``df/dmu``).

A task that builds on earlier ones (``forward`` on ``softmax``, ``backward`` on ``forward`` and ``grad_f2``, the
batch-norm gradients on ``bn_forward`` and on each other) is checked with the student's earlier pieces. When
such a check fails while one of those earlier pieces fails its own check, it prints one ``[not judged]`` line
naming that piece instead of failing: the mistake is the earlier piece's, its own cell reports it, and the
hidden tests grade every task with correct earlier pieces, so one mistake costs points once.

No task may change its inputs in place (:func:`call_unchanged`): ``forward`` returns the f2 it gives to
``softmax``, and the batch-norm gradients share one cache.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (
    CheckFailed,
    as_float_array,
    call_quietly,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    passed,
    unchanged,
)
from helpers.checks.gradcheck import check_gradient, numerical_gradient

Fn = Callable[..., object]
MLP_KEYS = ("X", "W_h", "b_h", "W_o", "b_o", "Y")
GRAD_KEYS = ("x", "W1", "b1", "W2", "b2")
CACHE_KEYS = ("x", "mu", "var", "xhat", "gamma", "beta", "eps", "y")


def call_unchanged(fn: Fn, name: str, args: dict[str, Any], **keywords: Any) -> Any:
    """``fn(*args.values(), **keywords)``, called quietly on copies of ``args``; fails, naming the argument, if
    ``fn`` changed one of them in place (an array or a dictionary such as the cache)."""
    before = copy.deepcopy(args)
    given = copy.deepcopy(args)
    result = call_quietly(fn, *given.values(), **keywords)
    for arg, value in before.items():
        if not unchanged(value, given[arg]):
            raise CheckFailed(
                f"`{name}` changed its input `{arg}` in place, and whoever called it may still need it. Compute "
                f"new arrays instead (e.g. `f = f - m`, not `f -= m`) and never assign into an argument.")
    return result


def _passes(check: Callable[[], None]) -> bool:
    """Whether ``check`` runs without an error (its ``[ok]`` lines are not shown)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check()
    except Exception:  # an earlier piece may fail in any way, NotImplementedError included
        return False
    return True


def _judged_after(task: str, check: Callable[[], None], earlier: dict[str, Callable[[], None]]) -> None:
    """Run ``check`` of ``task``; if it fails while an earlier piece in ``earlier`` (name: its own check) fails too,
    print one ``[not judged]`` line that names that piece instead of failing."""
    try:
        check()
    except Exception as error:  # re-raised below unless an earlier piece explains it
        broken = [name for name, earlier_check in earlier.items() if not _passes(earlier_check)]
        if not broken:
            raise
        reason = str(error).strip() if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
        reason = reason if reason.endswith((".", "?", "!")) else reason + "."
        pieces = " and ".join(f"`{name}`" for name in broken)
        verb = "does" if len(broken) == 1 else "do"
        print(f"[not judged] {task}: {reason} But {pieces}, which this check of {task} relies on, {verb} not pass "
              f"its own check yet: fix that first (each task is graded with correct earlier pieces).")


# -- Part 1: shapes and the forward pass of a ReLU MLP ---------------------------------------------

def _shape_dict(shapes: object, name: str) -> dict[str, tuple[int, ...]]:
    expect_type(shapes, dict, name)
    missing = [k for k in MLP_KEYS if k not in shapes]
    if missing:
        raise CheckFailed(f"`{name}` should have the keys {list(MLP_KEYS)}; it lacks {missing}.")
    out = {}
    for key in MLP_KEYS:
        value = shapes[key]
        if not isinstance(value, tuple) or not all(isinstance(n, (int, np.integer)) for n in value):
            raise CheckFailed(f"`{name}['{key}']` should be a tuple of ints such as (4, 10), but it is {value!r}.")
        out[key] = tuple(int(n) for n in value)
    return out


def check_mlp_shapes(mlp_shapes: Fn) -> None:
    """Keys and tuples; shapes that compose (X @ W_h + b_h, then @ W_o + b_o gives Y); only X and Y grow with m."""
    expect_callable(mlp_shapes, "mlp_shapes")
    for m in (4, 9):
        shapes = _shape_dict(call_quietly(mlp_shapes, m), f"mlp_shapes({m})")
        arrays = {k: np.zeros(s) for k, s in shapes.items()}
        try:
            hidden = arrays["X"] @ arrays["W_h"] + arrays["b_h"]
            out = hidden @ arrays["W_o"] + arrays["b_o"]
        except ValueError as error:
            raise CheckFailed(
                f"arrays of the shapes mlp_shapes({m}) returns cannot be combined as X @ W_h + b_h and then "
                f"H @ W_o + b_o ({error}). With one example per row, a weight matrix has shape (inputs, outputs)."
            ) from None
        if out.shape != shapes["Y"]:
            raise CheckFailed(f"X @ W_h + b_h, then @ W_o + b_o gives shape {out.shape}, but mlp_shapes({m}) "
                              f"says Y has shape {shapes['Y']}.")
        if shapes["X"][0] != m or shapes["Y"][0] != m:
            raise CheckFailed(f"with one example per row, X and Y should have {m} rows for a batch of m = {m}.")
        if len(shapes["b_h"]) != 1 or len(shapes["b_o"]) != 1:
            raise CheckFailed("the biases should be vectors of shape (n,), one entry per neuron, added to every row.")
    first = _shape_dict(call_quietly(mlp_shapes, 4), "mlp_shapes(4)")
    if any(first[k] != shapes[k] for k in ("W_h", "b_h", "W_o", "b_o")):
        raise CheckFailed("the weights and biases must not depend on the batch size m.")
    passed("mlp_shapes: keys, tuples, shapes that compose, and only X and Y grow with m")


def check_mlp_forward(mlp_forward: Fn) -> None:
    """A hand-computed example with 2 inputs, 2 hidden neurons and 1 output, then the shape of a batch."""
    expect_callable(mlp_forward, "mlp_forward")
    X = np.array([[1.0, -2.0], [0.5, 0.5]])
    W_h = np.array([[1.0, -1.0], [2.0, 1.0]])
    b_h = np.array([4.0, 1.0])
    W_o = np.array([[2.0], [5.0]])
    # Row 1: X W_h + b_h = (1, -2) -> ReLU (1, 0) -> 2 * 1 + 5 * 0 = 2; with b_o = 0.5: 2.5, with b_o = -3: 0.
    # Row 2: X W_h + b_h = (5.5, 1) -> ReLU (5.5, 1) -> 11 + 5 = 16; with b_o = 0.5: 16.5, with b_o = -3: 13.
    for b_o, want in ((np.array([0.5]), [[2.5], [16.5]]), (np.array([-3.0]), [[0.0], [13.0]])):
        got = call_quietly(mlp_forward, X, W_h, b_h, W_o, b_o)
        expect_close(got, want, f"mlp_forward on the worked example with b_o = {b_o[0]}",
                     hint="ReLU after the hidden layer and after the output layer; add each bias to every row.")
    rng = np.random.default_rng(3)
    out = call_quietly(mlp_forward, rng.normal(size=(6, 10)), rng.normal(size=(10, 50)), rng.normal(size=50),
                       rng.normal(size=(50, 3)), rng.normal(size=3))
    out = expect_shape(out, (6, 3), "mlp_forward for m = 6, 10 inputs, 50 hidden, 3 outputs")
    if np.any(out < 0):
        raise CheckFailed("the outputs of ReLU neurons cannot be negative.")
    passed("mlp_forward: worked example and shape (m, 3)")


# -- Part 2: softmax and cross-entropy on a sigmoid hidden layer -------------------------------------

def check_softmax(softmax: Fn) -> None:
    """Worked example, rows summing to one, invariance to a constant per row; warns if large logits fail."""
    expect_callable(softmax, "softmax")
    expect_close(call_quietly(softmax, np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]], "softmax([[0, log 3]])",
                 hint="exp(0) = 1 and exp(log 3) = 3, so the probabilities are 1/4 and 3/4.")
    f = np.random.default_rng(4).normal(size=(5, 3)) * 2
    out = expect_shape(call_unchanged(softmax, "softmax", {"f": f}), (5, 3), "softmax(f) for f of shape (5, 3)")
    expect_close(out.sum(axis=1), np.ones(5), "the row sums of softmax(f)",
                 hint="each row (one example) is a distribution over the 3 classes: normalise along axis 1.")
    if np.any(out <= 0):
        raise CheckFailed("softmax(f) should be strictly positive for these moderate logits.")
    shift = np.array([[10.0], [-3.0], [0.0], [7.0], [1.0]])
    expect_close(call_quietly(softmax, f + shift), out, "softmax(f + c) with a constant c per row",
                 hint="adding the same number to every logit of a row does not change its softmax.")
    spread = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0], [0.0]])  # rows near +1000 and near -1000
    big = call_quietly(softmax, f + spread)
    big = as_float_array(big, "softmax(f + 1000 or - 1000 per row)")
    if big.shape != out.shape or not np.all(np.isfinite(big)) or not np.allclose(big, out):
        print("[warning] softmax(f) with rows near +1000 and near -1000 is not finite or differs from softmax(f): "
              "exp(1000) overflows and exp(-1000) underflows. Subtract the largest logit of each row before "
              "exponentiating; the hidden tests use such logits.")
    passed("softmax: worked example, rows sum to one, invariant to a constant per row")


def check_forward(forward: Fn, *, softmax: Fn | None = None) -> None:
    """W1 = 0 and b1 = log(1, 3, 1/3, ...) gives a = (1/2, 3/4, 1/4, ...); W2, zero but for a 4 from the second
    hidden unit to the first class, and b2 = log(1, 2, 3) give f2 = (3, log 2, log 3); shapes. With ``softmax``
    (the one ``forward`` uses), a failure while ``softmax`` fails its own check is reported as not judged."""
    earlier = {} if softmax is None else {"softmax": lambda: check_softmax(softmax)}
    _judged_after("forward", lambda: _check_forward(forward), earlier)


def _check_forward(forward: Fn) -> None:
    expect_callable(forward, "forward")
    B, N, M, K = 4, 5, 6, 3
    x = np.random.default_rng(5).normal(size=(B, N))
    b1 = np.log([1.0, 3.0, 1 / 3, 1.0, 3.0, 1 / 3])
    W2 = np.zeros((M, K))
    W2[1, 0] = 4.0  # f2 reads a, not f1: 4 * a[1] = 3, but 4 * f1[1] = 4 log 3
    result = call_quietly(forward, x, np.zeros((N, M)), b1, W2, np.log([1.0, 2.0, 3.0]))
    if not isinstance(result, tuple) or len(result) != 4:
        raise CheckFailed("`forward` should return a tuple (f1, a, f2, o) of four arrays.")
    f1, a, f2, o = result
    for value, shape, name in ((f1, (B, M), "f1"), (a, (B, M), "a"), (f2, (B, K), "f2"), (o, (B, K), "o")):
        expect_shape(value, shape, f"{name} for a batch of {B} rows, N = {N}, M = {M}, K = {K}")
    expect_close(f1, np.tile(b1, (B, 1)), "f1 when W1 = 0 and b1 = log(1, 3, 1/3, 1, 3, 1/3)",
                 hint="f1 = x W1 + b1: with W1 = 0 every row is b1.")
    expect_close(a, np.tile([0.5, 0.75, 0.25], (B, 2)), "a when W1 = 0 and b1 = log(1, 3, 1/3, 1, 3, 1/3)",
                 hint="a = sigmoid(f1), and sigmoid(log t) = t / (1 + t): 1/2, 3/4 and 1/4.")
    expect_close(f2, np.tile([3.0, np.log(2.0), np.log(3.0)], (B, 1)),
                 "f2 when W2 holds a single 4 (from hidden unit 2 to class 1) and b2 = log(1, 2, 3)",
                 hint="f2 = a W2 + b2, with the activations a (after the sigmoid), not f1.")
    e3 = np.exp(3.0)
    expect_close(o, np.tile([e3, 2.0, 3.0], (B, 1)) / (e3 + 5.0), "o for f2 = (3, log 2, log 3)",
                 hint="o = softmax(f2), taken over the classes of each row.")
    passed("forward: shapes of f1, a, f2, o and a worked example")


def check_cross_entropy(cross_entropy: Fn) -> None:
    """One row: -log 0.75; two rows: the sum of the two losses; a single number."""
    expect_callable(cross_entropy, "cross_entropy")
    o = np.array([[0.25, 0.75], [0.6, 0.4]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    one = expect_shape(call_quietly(cross_entropy, o[:1], y[:1]), (), "cross_entropy for one row")
    expect_close(one, -np.log(0.75), "cross_entropy(o = [[0.25, 0.75]], y = [[0, 1]])",
                 hint="E = -sum_k y_k log o_k: only the true class counts.")
    expect_close(call_quietly(cross_entropy, o, y), -np.log(0.75) - np.log(0.4), "cross_entropy for two rows",
                 hint="the loss of a batch is the sum of the losses of its rows.")
    passed("cross_entropy: one row, a sum over rows, a single number")


def _loss_of_logits(y: np.ndarray) -> Callable[[np.ndarray], float]:
    """E(f2) = sum over rows of logsumexp(f2_row) - <y_row, f2_row>, the cross-entropy of softmax(f2)."""
    def loss(f2: np.ndarray) -> float:
        top = f2.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(f2 - top).sum(axis=1))
        return float(np.sum(log_norm - np.sum(y * f2, axis=1)))
    return loss


def _one_hot(rng: np.random.Generator, rows: int, classes: int) -> np.ndarray:
    return np.eye(classes)[rng.integers(0, classes, size=rows)]


def check_grad_f2(grad_f2: Fn) -> None:
    """dE/df2 against finite differences of E(f2) = sum(logsumexp(f2) - y . f2), which is -sum y log softmax(f2).

    The probabilities o are drawn first and f2 = log(o), so that softmax(f2) = o exactly (each row sums to 1).
    """
    expect_callable(grad_f2, "grad_f2")
    rng = np.random.default_rng(6)
    o = rng.uniform(0.1, 1.0, size=(4, 3))
    o /= o.sum(axis=1, keepdims=True)
    f2, y = np.log(o), _one_hot(rng, 4, 3)
    analytic = expect_shape(call_unchanged(grad_f2, "grad_f2", {"o": o, "y": y}), (4, 3),
                            "grad_f2(o, y) for 4 rows and 3 classes")
    check_gradient(analytic, numerical_gradient(_loss_of_logits(y), f2), "grad_f2 vs finite differences of E(f2)")


def _network(rng: np.random.Generator, B: int = 3, N: int = 4, M: int = 5, K: int = 3) -> dict[str, np.ndarray]:
    return {"x": rng.normal(size=(B, N)), "W1": rng.normal(size=(N, M)), "b1": rng.normal(size=M),
            "W2": rng.normal(size=(M, K)), "b2": rng.normal(size=K), "y": _one_hot(rng, B, K)}


def check_backward(backward: Fn, forward: Fn, cross_entropy: Fn, keys: tuple[str, ...], *,
                   softmax: Fn | None = None, grad_f2: Fn | None = None) -> None:
    """The gradients named by ``keys`` against finite differences of your own forward and cross_entropy.

    A failure while an earlier piece that backward relies on (``softmax``, ``forward``, ``cross_entropy``,
    ``grad_f2``; the first and last only when given) fails its own check is reported as not judged.
    """
    earlier = {"forward": lambda: check_forward(forward, softmax=softmax),
               "cross_entropy": lambda: check_cross_entropy(cross_entropy)}
    if softmax is not None:
        earlier = {"softmax": lambda: check_softmax(softmax), **earlier}
    if grad_f2 is not None:
        earlier["grad_f2"] = lambda: check_grad_f2(grad_f2)
    _judged_after("backward", lambda: _check_backward(backward, forward, cross_entropy, keys), earlier)


def _check_backward(backward: Fn, forward: Fn, cross_entropy: Fn, keys: tuple[str, ...]) -> None:
    expect_callable(backward, "backward")
    net = _network(np.random.default_rng(7))
    grads = call_unchanged(backward, "backward", {k: net[k] for k in ("x", "y", "W1", "b1", "W2", "b2")})
    expect_type(grads, dict, "backward(x, y, W1, b1, W2, b2)")
    for key in keys:
        if key not in grads:
            raise CheckFailed(f"the dictionary backward returns has no key '{key}' (it needs {list(GRAD_KEYS)}).")
        expect_shape(grads[key], net[key].shape, f"the gradient with respect to {key}")

        def loss(value: np.ndarray, key: str = key) -> float:
            args = {**net, key: value}
            o = call_quietly(forward, args["x"], args["W1"], args["b1"], args["W2"], args["b2"])[3]
            return float(call_quietly(cross_entropy, o, args["y"]))

        check_gradient(grads[key], numerical_gradient(loss, net[key]),
                       f"dE/d{key} vs finite differences of your forward and cross_entropy")


# -- Part 3: batch normalisation ----------------------------------------------------------------------

def _bn_example(rng: np.random.Generator, m: int = 6, eps: float = 0.1) -> tuple[np.ndarray, float, float, float]:
    return rng.normal(1.0, 2.0, size=m), float(rng.uniform(0.5, 2.0)), float(rng.normal()), eps


def _cache(bn_forward: Fn, x: np.ndarray, gamma: float, beta: float, eps: float) -> dict:
    cache = call_unchanged(bn_forward, "bn_forward", {"x": x, "gamma": gamma, "beta": beta, "eps": eps})
    expect_type(cache, dict, "bn_forward(x, gamma, beta, eps)")
    missing = [k for k in CACHE_KEYS if k not in cache]
    if missing:
        raise CheckFailed(f"the cache bn_forward returns should have the keys {list(CACHE_KEYS)}; it lacks {missing}.")
    return cache


def check_bn_forward(bn_forward: Fn) -> None:
    """Worked example x = (1, 2, 3, 4) with eps = 0, then properties: mean(y) = beta, invariance to a shift of x."""
    expect_callable(bn_forward, "bn_forward")
    cache = _cache(bn_forward, np.array([1.0, 2.0, 3.0, 4.0]), 2.0, 1.0, 0.0)
    expect_close(cache["x"], [1.0, 2.0, 3.0, 4.0], "cache['x'] for x = (1, 2, 3, 4)",
                 hint="the cache keeps the input x itself (unchanged): the backward functions read it.")
    expect_close(cache["mu"], 2.5, "mu for x = (1, 2, 3, 4)")
    expect_close(cache["var"], 1.25, "sigma^2 for x = (1, 2, 3, 4)",
                 hint="the batch variance divides by m (here 4), not by m - 1.")
    root = np.sqrt(1.25)
    expect_close(cache["xhat"], np.array([-1.5, -0.5, 0.5, 1.5]) / root, "xhat for x = (1, 2, 3, 4) and eps = 0")
    expect_close(cache["y"], 2.0 * np.array([-1.5, -0.5, 0.5, 1.5]) / root + 1.0,
                 "y for x = (1, 2, 3, 4), gamma = 2, beta = 1, eps = 0")
    worked = _worked_cache()
    expect_close(_cache(bn_forward, worked["x"], 2.0, 1.0, 0.75)["xhat"], worked["xhat"],
                 "xhat for x = (1, 2, 3, 4) and eps = 0.75",
                 hint="divide by sqrt(sigma^2 + eps) = sqrt(1.25 + 0.75) = sqrt(2): eps goes inside the root.")
    x, gamma, beta, eps = _bn_example(np.random.default_rng(8))
    y = expect_shape(_cache(bn_forward, x, gamma, beta, eps)["y"], x.shape, "y for a batch of 6")
    expect_close(y.mean(), beta, "the mean of y", hint="xhat has mean zero, so y = gamma xhat + beta has mean beta.")
    expect_close(_cache(bn_forward, x + 5.0, gamma, beta, eps)["y"], y, "y for x + 5",
                 hint="shifting the whole batch shifts mu by the same amount and leaves xhat unchanged.")
    if np.std(y) >= abs(gamma):
        raise CheckFailed("with eps > 0 the spread of y should be a little smaller than |gamma|: divide by "
                          "sqrt(sigma^2 + eps).")
    passed("bn_forward: worked example, mean(y) = beta, invariance to a shift, eps in the denominator")


def _worked_cache() -> dict:
    """x = (1, 2, 3, 4), gamma = 2, beta = 1, eps = 0.75: mu = 2.5, sigma^2 = 1.25, sqrt(sigma^2 + eps) = sqrt(2)."""
    centred = np.array([-1.5, -0.5, 0.5, 1.5])
    xhat = centred / np.sqrt(2.0)
    return {"x": centred + 2.5, "mu": 2.5, "var": 1.25, "xhat": xhat, "gamma": 2.0, "beta": 1.0, "eps": 0.75,
            "y": 2.0 * xhat + 1.0}


def _bn_setup(bn_forward: Fn, seed: int, fn: Fn, name: str, shape: tuple[int, ...]
              ) -> tuple[np.ndarray, dict, np.ndarray, float, float, float]:
    """Calls ``fn`` on a cache of our own first (shape only), then builds a random case with your bn_forward."""
    expect_callable(fn, name)
    expect_shape(call_quietly(fn, np.array([0.5, -1.0, 2.0, 0.25]), _worked_cache()), shape,
                 f"{name}(dy, cache) for a batch of 4")
    rng = np.random.default_rng(seed)
    x, gamma, beta, eps = _bn_example(rng)
    return x, _cache(bn_forward, x, gamma, beta, eps), rng.normal(size=x.shape), gamma, beta, eps


def _check_bn_grad_gamma(bn_grad_gamma: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 9, bn_grad_gamma, "bn_grad_gamma", ())
    got = expect_shape(call_unchanged(bn_grad_gamma, "bn_grad_gamma", {"dy": dy, "cache": cache}), (),
                       "bn_grad_gamma(dy, cache)")
    numeric = numerical_gradient(lambda g: np.sum(dy * _cache(bn_forward, x, float(g), beta, eps)["y"]),
                                 np.array(gamma))
    check_gradient(got, numeric, "df/dgamma vs finite differences")


def _check_bn_grad_beta(bn_grad_beta: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 10, bn_grad_beta, "bn_grad_beta", ())
    got = expect_shape(call_unchanged(bn_grad_beta, "bn_grad_beta", {"dy": dy, "cache": cache}), (),
                       "bn_grad_beta(dy, cache)")
    numeric = numerical_gradient(lambda b: np.sum(dy * _cache(bn_forward, x, gamma, float(b), eps)["y"]),
                                 np.array(beta))
    check_gradient(got, numeric, "df/dbeta vs finite differences")


def _check_bn_grad_xhat(bn_grad_xhat: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 11, bn_grad_xhat, "bn_grad_xhat", (4,))
    got = expect_shape(call_unchanged(bn_grad_xhat, "bn_grad_xhat", {"dy": dy, "cache": cache}), x.shape,
                       "bn_grad_xhat(dy, cache)")
    numeric = numerical_gradient(lambda z: np.sum(dy * (gamma * z + beta)), np.asarray(cache["xhat"], float))
    check_gradient(got, numeric, "df/dxhat vs finite differences")


def _xhat_given(x: np.ndarray, mu: float, var: float, eps: float) -> np.ndarray:
    """The normalisation step with mu and sigma^2 as free variables (the definition in the notebook)."""
    return (x - mu) * (var + eps) ** -0.5


def _check_bn_grad_var(bn_grad_var: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 12, bn_grad_var, "bn_grad_var", ())
    got = expect_shape(call_unchanged(bn_grad_var, "bn_grad_var", {"dy": dy, "cache": cache}), (),
                       "bn_grad_var(dy, cache)")
    mu = float(cache["mu"])
    numeric = numerical_gradient(lambda v: np.sum(dy * (gamma * _xhat_given(x, mu, float(v), eps) + beta)),
                                 np.array(float(cache["var"])))
    check_gradient(got, numeric, "df/dsigma^2 (x and mu held fixed) vs finite differences")


def _check_bn_grad_mu(bn_grad_mu: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 13, bn_grad_mu, "bn_grad_mu", ())
    got = expect_shape(call_unchanged(bn_grad_mu, "bn_grad_mu", {"dy": dy, "cache": cache}), (),
                       "bn_grad_mu(dy, cache)")

    def f(mu: np.ndarray) -> float:
        mu = float(mu)
        var = float(np.mean((x - mu) ** 2))
        return float(np.sum(dy * (gamma * _xhat_given(x, mu, var, eps) + beta)))

    check_gradient(got, numerical_gradient(f, np.array(float(cache["mu"]))),
                   "df/dmu (through xhat and sigma^2) vs finite differences")


def _check_bn_grad_x(bn_grad_x: Fn, bn_forward: Fn) -> None:
    x, cache, dy, gamma, beta, eps = _bn_setup(bn_forward, 14, bn_grad_x, "bn_grad_x", (4,))
    got = expect_shape(call_unchanged(bn_grad_x, "bn_grad_x", {"dy": dy, "cache": cache}), x.shape,
                       "bn_grad_x(dy, cache)")
    numeric = numerical_gradient(lambda z: np.sum(dy * _cache(bn_forward, z, gamma, beta, eps)["y"]), x)
    check_gradient(got, numeric, "df/dx vs finite differences of your bn_forward")
    if abs(float(np.sum(got))) > 1e-8 * (1 + float(np.abs(got).sum())):
        raise CheckFailed("the entries of df/dx should sum to zero: adding a constant to every x_i changes nothing.")


# The public checks of the batch-norm gradients: each relies on your bn_forward (the cache) and, from sigma^2 on,
# on the earlier gradients, which the later functions may call.

def _bn_earlier(bn_forward: Fn, **pieces: Fn | None) -> dict[str, Callable[[], None]]:
    earlier: dict[str, Callable[[], None]] = {"bn_forward": lambda: check_bn_forward(bn_forward)}
    checks = {"bn_grad_xhat": check_bn_grad_xhat, "bn_grad_var": check_bn_grad_var, "bn_grad_mu": check_bn_grad_mu}
    for name, fn in pieces.items():
        if fn is not None:
            earlier[name] = lambda check=checks[name], fn=fn: check(fn, bn_forward)
    return earlier


def check_bn_grad_gamma(bn_grad_gamma: Fn, bn_forward: Fn) -> None:
    """df/dgamma for f = sum_i dy_i y_i, against finite differences of your bn_forward."""
    _judged_after("bn_grad_gamma", lambda: _check_bn_grad_gamma(bn_grad_gamma, bn_forward), _bn_earlier(bn_forward))


def check_bn_grad_beta(bn_grad_beta: Fn, bn_forward: Fn) -> None:
    """df/dbeta for f = sum_i dy_i y_i, against finite differences of your bn_forward."""
    _judged_after("bn_grad_beta", lambda: _check_bn_grad_beta(bn_grad_beta, bn_forward), _bn_earlier(bn_forward))


def check_bn_grad_xhat(bn_grad_xhat: Fn, bn_forward: Fn) -> None:
    """df/dxhat_i with f = sum_i dy_i (gamma xhat_i + beta), each xhat_i moved on its own."""
    _judged_after("bn_grad_xhat", lambda: _check_bn_grad_xhat(bn_grad_xhat, bn_forward), _bn_earlier(bn_forward))


def check_bn_grad_var(bn_grad_var: Fn, bn_forward: Fn, *, bn_grad_xhat: Fn | None = None) -> None:
    """df/dsigma^2 holding x and mu fixed: finite differences that move sigma^2 alone."""
    _judged_after("bn_grad_var", lambda: _check_bn_grad_var(bn_grad_var, bn_forward),
                  _bn_earlier(bn_forward, bn_grad_xhat=bn_grad_xhat))


def check_bn_grad_mu(bn_grad_mu: Fn, bn_forward: Fn, *, bn_grad_xhat: Fn | None = None,
                     bn_grad_var: Fn | None = None) -> None:
    """df/dmu holding x fixed, with sigma^2 = mean((x - mu)^2) following mu: both paths, by finite differences."""
    _judged_after("bn_grad_mu", lambda: _check_bn_grad_mu(bn_grad_mu, bn_forward),
                  _bn_earlier(bn_forward, bn_grad_xhat=bn_grad_xhat, bn_grad_var=bn_grad_var))


def check_bn_grad_x(bn_grad_x: Fn, bn_forward: Fn, *, bn_grad_xhat: Fn | None = None, bn_grad_var: Fn | None = None,
                    bn_grad_mu: Fn | None = None) -> None:
    """df/dx_i, the total derivative, against finite differences of your bn_forward; its entries sum to zero."""
    _judged_after("bn_grad_x", lambda: _check_bn_grad_x(bn_grad_x, bn_forward),
                  _bn_earlier(bn_forward, bn_grad_xhat=bn_grad_xhat, bn_grad_var=bn_grad_var, bn_grad_mu=bn_grad_mu))
