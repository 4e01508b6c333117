"""Public checks for notebook 02 (logic gates as sigmoid MLPs).

Conventions of the notebook: a network is a list of layers ``(W, b)`` with
``W`` of shape ``(D_in, D_out)`` and ``b`` of shape ``(D_out,)``; inputs are
rows, ``h_next = sigmoid(h @ W + b)``; an output is read as class 1 when it is
``>= 0.5``. The checks below test properties every correct answer has (shapes,
laws of Boolean algebra, worked examples of their own, finite differences) and
compare a student's networks with the student's *own* truth tables; the
assignment's answers are graded by hidden tests.

Each check judges its own task only: the gate checks use your ``mlp_forward``
and your truth tables only once those pass their own checks, and the check of
``train_gd`` runs it with a stand-in for ``loss_and_grads``, so a mistake in one
task shows up in that task's cell and nowhere else.
"""

from __future__ import annotations

import contextlib
import io
import types
from collections.abc import Callable, Sequence
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
)
from helpers.checks.gradcheck import check_gradient, numerical_gradient

Fn = Callable[..., Any]
MARGIN = 0.1
TWO_INPUT_GATES = ("AND", "OR", "XOR", "XNOR")


def _logistic(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _passes(check: Fn, *args: Any) -> bool:
    """Whether the public check ``check(*args)`` passes, run silently (any error of the code it checks: no)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*args)
    except Exception:  # noqa: BLE001 - the code under check may raise anything
        return False
    return True


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # comprehensions and inner functions
            names |= _global_names(const)
    return names


def with_global(fn: Fn, name: str, replacement: Fn) -> Fn:
    """A copy of the notebook function ``fn`` that finds ``replacement`` under the global name ``name``.

    A function defined in a notebook looks up the other functions it calls among the notebook's globals when it
    runs; the copy looks them up in a copy of those globals where ``name`` is ``replacement``, so ``fn`` can be
    checked alone, with a stand-in for the function it builds on. ``fn`` itself and the notebook are unchanged.
    Returns ``fn`` as it is when it is not a plain Python function or never names ``name``.
    """
    if not isinstance(fn, types.FunctionType) or name not in _global_names(fn.__code__):
        return fn
    namespace = dict(fn.__globals__)
    namespace[name] = replacement
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _random_layers(rng: np.random.Generator, sizes: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.normal(size=(i, o)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]


def check_mlp_forward(mlp_forward: Fn) -> None:
    """Shapes, zero weights, the bias, the row convention and composition of layers."""
    expect_callable(mlp_forward, "mlp_forward")
    rng = np.random.default_rng(20)
    x = rng.normal(size=(5, 3))
    layers = _random_layers(rng, [3, 4, 2])
    try:
        raw = call_quietly(mlp_forward, x, layers)
    except ValueError as error:  # typically a matmul with mismatched shapes
        raise CheckFailed(f"mlp_forward failed on layer sizes 3 -> 4 -> 2 with {type(error).__name__}: {error}. "
                          "With inputs as rows a layer computes h @ W + b, W of shape (D_in, D_out).") from None
    out = expect_shape(raw, (5, 2),
                       "mlp_forward(x, layers) for x of shape (5, 3) and layer sizes 3 -> 4 -> 2")
    if not np.all((out > 0) & (out < 1)):
        raise CheckFailed("every output of mlp_forward is a sigmoid, so it lies strictly between 0 and 1.")
    zero = [(np.zeros((3, 1)), np.zeros(1))]
    expect_close(call_quietly(mlp_forward, x, zero), np.full((5, 1), 0.5),
                 "mlp_forward with zero weights and bias", hint="sigmoid(0) = 0.5 whatever the input.")
    bias_only = [(np.zeros((3, 2)), np.array([2.0, -1.0]))]
    expect_close(call_quietly(mlp_forward, x[:1], bias_only), [[_logistic(2.0), _logistic(-1.0)]],
                 "mlp_forward with zero weights and bias [2, -1]", hint="add the bias b before the sigmoid.")
    # Row convention: the single output of W = [[2], [0]] looks at the first input only.
    picker = [(np.array([[2.0], [0.0]]), np.array([-1.0]))]
    expect_close(call_quietly(mlp_forward, np.array([[0.5, 7.0]]), picker), [[0.5]],
                 "mlp_forward([[0.5, 7.0]], [(W = [[2], [0]], b = [-1])])",
                 hint="with rows as inputs the pre-activation is x @ W + b = 0.5*2 + 7*0 - 1 = 0.")
    first = call_quietly(mlp_forward, x, layers[:1])
    expect_close(out, call_quietly(mlp_forward, first, layers[1:]), "mlp_forward of two layers",
                 hint="a two-layer network is the second layer applied to the output of the first.")
    passed("mlp_forward: shapes, sigmoid range, bias, row convention x @ W + b, and layers compose")


def check_classify(classify: Fn) -> None:
    """Outputs >= 0.5 are class 1, the shape is kept, and the result holds 0s and 1s."""
    expect_callable(classify, "classify")
    outputs = np.array([[0.1, 0.5], [0.73, 0.4999]])
    given = outputs.copy()
    raw = call_quietly(classify, given)
    if np.asarray(raw).dtype.kind not in "iub":
        raise CheckFailed(f"classify(outputs) gives values of dtype {np.asarray(raw).dtype}; the task asks for an "
                          "integer array of 0s and 1s (astype(int)).")
    got = expect_shape(raw, (2, 2), "classify(outputs) for outputs of shape (2, 2)")
    if not np.array_equal(given, outputs):
        raise CheckFailed("classify changed the array of outputs it was given: the caller's network outputs are "
                          "lost. Build a new array (np.asarray does not copy an array).")
    if not np.all((got == 0) | (got == 1)):
        raise CheckFailed("classify must return only 0s and 1s.")
    expect_close(got, [[0, 1], [1, 0]], "classify([[0.1, 0.5], [0.73, 0.4999]])",
                 hint="an output of exactly 0.5 is class 1 (greater than *or equal to* 0.5).")
    passed("classify: shape kept, 0s and 1s, 0.5 itself is class 1, and the outputs given are left as they were")


def check_truth_tables(tables: Any) -> None:
    """Keys, shapes, binary values and laws of Boolean algebra (no table is given away)."""
    expect_type(tables, dict, "truth_tables")
    missing = [g for g in ("NOT", *TWO_INPUT_GATES) if g not in tables]
    if missing:
        raise CheckFailed(f"`truth_tables` has no entry for {missing}.")
    t = {"NOT": expect_shape(tables["NOT"], (2,), "truth_tables['NOT'] (rows A = 0, 1)")}
    for gate in TWO_INPUT_GATES:
        t[gate] = expect_shape(tables[gate], (4,), f"truth_tables['{gate}'] (rows AB = 00, 01, 10, 11)")
    for gate, column in t.items():
        if not np.all((column == 0) | (column == 1)):
            raise CheckFailed(f"truth_tables['{gate}'] must hold only 0s and 1s, but it is {column}.")
    if t["NOT"][0] == t["NOT"][1]:
        raise CheckFailed("NOT must give different outputs for A = 0 and A = 1.")
    for gate in TWO_INPUT_GATES:
        if t[gate][1] != t[gate][2]:
            raise CheckFailed(f"{gate} is symmetric in A and B, so its rows AB = 01 and AB = 10 must agree.")
    if np.any(t["AND"] > t["OR"]):
        raise CheckFailed("wherever AND is 1, OR must be 1 too.")
    expect_close(t["XNOR"], 1 - t["XOR"], "truth_tables['XNOR']", hint="XNOR is the negation of XOR.")
    expect_close(t["XOR"], t["OR"] - t["AND"], "truth_tables['XOR']",
                 hint="A XOR B is 1 when A OR B is 1 but A AND B is not.")
    passed("truth_tables: five gates, 0/1 columns of the right length, symmetric, AND <= OR, XNOR = 1 - XOR, "
           "XOR = OR - AND")


def check_not_bias_range(not_bias_range: Fn) -> None:
    """At each end of the interval one of the two NOT outputs sits exactly on the margin."""
    expect_callable(not_bias_range, "not_bias_range")
    for w, margin in [(-3.0, 0.2), (-1.5, 0.05)]:
        name = f"not_bias_range({w}, {margin})"
        result = call_quietly(not_bias_range, w, margin)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise CheckFailed(f"`{name}` should return a pair (lo, hi), but it returned {result!r}.")
        lo = expect_shape(result[0], (), f"lo of {name}")
        hi = expect_shape(result[1], (), f"hi of {name}")
        if not lo < hi:
            raise CheckFailed(f"`{name}` gave lo = {lo:.4g} >= hi = {hi:.4g}; "
                              "this interval should not be empty.")
        expect_close(_logistic(lo), 0.5 + margin, f"the output for A = 0 with the bias lo of {name}",
                     hint="the smallest bias puts sigmoid(w*0 + b) exactly at 0.5 + margin.")
        expect_close(_logistic(w + hi), 0.5 - margin, f"the output for A = 1 with the bias hi of {name}",
                     hint="the largest bias puts sigmoid(w*1 + b) exactly at 0.5 - margin.")
    passed("not_bias_range: at lo the A = 0 output and at hi the A = 1 output sit exactly on the margin")


def _structure(layers: Any, name: str, n_inputs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise CheckFailed(f"`{name}` should be a non-empty list of layers (W, b), but it is {layers!r}.")
    checked, width = [], n_inputs
    for k, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise CheckFailed(f"layer {k} of `{name}` should be a pair (W, b).")
        W = as_float_array(layer[0], f"W of layer {k} of {name}")
        b = as_float_array(layer[1], f"b of layer {k} of {name}")
        if W.ndim != 2 or W.shape[0] != width:
            raise CheckFailed(f"W of layer {k} of `{name}` should have shape ({width}, n_out), since this "
                              f"layer receives {width} value(s) per row; it has shape {W.shape}.")
        if b.size != W.shape[1] or b.ndim > 2:
            raise CheckFailed(f"b of layer {k} of `{name}` should have shape ({W.shape[1]},), one bias per "
                              f"neuron; it has shape {b.shape}.")
        checked.append((W, b.reshape(-1)))
        width = W.shape[1]
    if width != 1:
        raise CheckFailed(f"the last layer of `{name}` should have one neuron (one output), not {width}.")
    return checked


def _judge_gate(out: np.ndarray, inputs: np.ndarray, targets: np.ndarray | None, name: str, margin: float) -> None:
    for row, value, target in zip(inputs.astype(int), out, [None] * len(out) if targets is None else targets,
                                  strict=True):
        if not np.isfinite(value):
            raise CheckFailed(f"`{name}` outputs {value} for the input {row.tolist()}: every output should be a "
                              "number between 0 and 1 (0 * inf is NaN: use finite weights).")
        if target is not None and (value >= 0.5) != bool(target):
            raise CheckFailed(f"`{name}` outputs {value:.4f} for the input {row.tolist()}, which is class "
                              f"{int(value >= 0.5)}, but your truth table says {int(target)}.")
        if abs(value - 0.5) < margin:
            raise CheckFailed(f"`{name}` outputs {value:.4f} for the input {row.tolist()}: "
                              f"{'the right class, but ' if target is not None else ''}closer than {margin} to "
                              "0.5. Scale the weights and biases up to get a safety margin.")


def _sizes(inputs: np.ndarray, checked: list[tuple[np.ndarray, np.ndarray]]) -> str:
    return " -> ".join(str(s) for s in [inputs.shape[1], *(W.shape[1] for W, _ in checked)])


def check_gate(layers: Any, name: str, inputs: Any, targets: Any, mlp_forward: Fn,
               margin: float = MARGIN) -> None:
    """A gate network: consistent shapes, every row of *your* truth table right, ``margin`` away from 0.5."""
    inputs = as_float_array(inputs, "inputs")
    checked = _structure(layers, name, inputs.shape[1])
    targets = as_float_array(targets, f"the truth table of {name}").reshape(-1)
    out = expect_shape(call_quietly(mlp_forward, inputs, checked), (len(inputs), 1),
                       f"mlp_forward(inputs, {name})")[:, 0]
    _judge_gate(out, inputs, targets, name, margin)
    passed(f"{name}: layer sizes {_sizes(inputs, checked)}, every row matches your truth table, "
           f"smallest distance from 0.5 is {np.min(np.abs(out - 0.5)):.3f}")


GATE_INPUTS = {"NOT": np.array([[0.0], [1.0]]),
               **dict.fromkeys(TWO_INPUT_GATES, np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))}


def check_gate_network(layers: Any, name: str, gate: str, truth_tables: Any, mlp_forward: Fn,
                       margin: float = MARGIN) -> None:
    """The network ``layers`` for ``gate`` on every row of its truth table (AB = 00, 01, 10, 11; NOT: A = 0, 1).

    Judged on what is the network's own: consistent shapes, every output ``margin`` away from 0.5, and the class
    of each row. Your ``mlp_forward`` evaluates it once it passes :func:`check_mlp_forward`, and the classes are
    compared with your ``truth_tables[gate]`` once your truth tables pass :func:`check_truth_tables`; until then
    that part is skipped with a note, so a mistake in those tasks is not counted against the network (the
    grader evaluates every network with a correct forward pass of its own and the true truth table).
    """
    if gate not in GATE_INPUTS:
        raise ValueError(f"unknown gate {gate!r}; one of {sorted(GATE_INPUTS)}")
    inputs = GATE_INPUTS[gate]
    checked = _structure(layers, name, inputs.shape[1])
    sizes = _sizes(inputs, checked)
    if not _passes(check_mlp_forward, mlp_forward):
        print(f"[not checked yet] {name}: layer sizes {sizes}; its outputs are checked here once `mlp_forward` "
              "passes its own check (the grader evaluates networks with a correct forward pass of its own).")
        return
    out = expect_shape(call_quietly(mlp_forward, inputs, checked), (len(inputs), 1),
                       f"mlp_forward(inputs, {name})")[:, 0]
    trusted = isinstance(truth_tables, dict) and _passes(check_truth_tables, truth_tables)
    targets = as_float_array(truth_tables[gate], f"truth_tables['{gate}']").reshape(-1) if trusted else None
    _judge_gate(out, inputs, targets, name, margin)
    compared = ("every row matches your truth table" if trusted else
                f"not compared with truth_tables['{gate}'] until your truth tables pass their check")
    passed(f"{name}: layer sizes {sizes}, {compared}, smallest distance from 0.5 is {np.min(np.abs(out - 0.5)):.3f}")


def _bce(o: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(y * np.log(o) + (1 - y) * np.log(1 - o)))


def unpack_loss_and_grads(result: Any, name: str, layers: list) -> tuple[float, list]:
    """``(loss, [(dW, db), ...])`` returned by ``name``, checked: a single-number loss and one pair of gradients
    per layer of ``layers``, each of its parameter's shape (as float arrays)."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"`{name}` should return a pair (loss, grads).")
    loss = float(expect_shape(result[0], (), f"the loss returned by {name}"))
    grads = result[1]
    if not isinstance(grads, (list, tuple)) or len(grads) != len(layers):
        raise CheckFailed(f"the grads returned by `{name}` should be a list of one pair (dW, db) per layer.")
    shaped = []
    for k, ((W, b), pair) in enumerate(zip(layers, grads, strict=True)):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise CheckFailed(f"grads[{k}] of `{name}` should be a pair (dW, db).")
        shaped.append((expect_shape(pair[0], W.shape, f"dW of layer {k}"),
                       expect_shape(pair[1], b.shape, f"db of layer {k}")))
    return loss, shaped


def check_loss_and_grads(loss_and_grads: Fn) -> None:
    """Zero weights give the loss log 2; every gradient agrees with finite differences of your own loss."""
    expect_callable(loss_and_grads, "loss_and_grads")
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    zero = [(np.zeros((2, 2)), np.zeros(2)), (np.zeros((2, 1)), np.zeros(1))]
    loss, _ = unpack_loss_and_grads(call_quietly(loss_and_grads, zero, x, y), "loss_and_grads", zero)
    expect_close(loss, np.log(2.0), "the loss with all weights and biases zero", rtol=1e-9,
                 hint="every output is 0.5 and -log(0.5) = log 2; take the mean over rows, not the sum.")
    rng = np.random.default_rng(21)
    x = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, size=(6, 1)).astype(float)
    layers = _random_layers(rng, [3, 4, 1])
    loss, grads = unpack_loss_and_grads(call_quietly(loss_and_grads, layers, x, y), "loss_and_grads", layers)
    a = _logistic(x @ layers[0][0] + layers[0][1])
    expect_close(loss, _bce(_logistic(a @ layers[1][0] + layers[1][1]), y),
                 "the loss on a random 3-4-1 network", rtol=1e-9,
                 hint="mean binary cross-entropy -mean(y log o + (1 - y) log(1 - o)).")
    for k, (W, b) in enumerate(layers):
        for j, (param, tag) in enumerate(((W, "W"), (b, "b"))):
            def loss_at(p: np.ndarray, k: int = k, j: int = j) -> float:
                trial = [list(layer) for layer in layers]
                trial[k][j] = p
                return float(call_quietly(loss_and_grads, [tuple(t) for t in trial], x, y)[0])

            check_gradient(grads[k][j], numerical_gradient(loss_at, param), f"d loss / d {tag}{k + 1}")
    passed("loss_and_grads: loss log 2 at zero weights, and all four gradients match finite differences")


class _HalfSquares:
    """A stand-in for ``loss_and_grads``: the loss is half the sum of the squared parameters, so the gradient of
    each parameter is the parameter itself and gradient descent with rate ``lr`` multiplies every parameter by
    ``1 - lr`` at each step. It counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, layers: Any, x: Any, y: Any) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        self.calls += 1
        pairs = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in layers]
        return 0.5 * sum(float(np.sum(W ** 2) + np.sum(b ** 2)) for W, b in pairs), pairs


def check_train_gd(train_gd: Fn) -> None:
    """Run with a stand-in for ``loss_and_grads`` (half the sum of squared parameters, whose gradient is the
    parameters): the recorded losses, the trained parameters and the start point left as it was; so this checks
    ``train_gd`` alone, whatever the state of your ``loss_and_grads``."""
    expect_callable(train_gd, "train_gd")
    rng = np.random.default_rng(22)
    x = rng.normal(size=(5, 2))
    y = rng.integers(0, 2, size=(5, 1)).astype(float)
    start = _random_layers(rng, [2, 2, 1])
    copy = [(W.copy(), b.copy()) for W, b in start]
    lr, steps = 0.25, 6
    stand_in = _HalfSquares()
    result = call_quietly(with_global(train_gd, "loss_and_grads", stand_in), start, x, y, lr, steps)
    if not all(np.array_equal(W, W0) and np.array_equal(b, b0) for (W, b), (W0, b0) in zip(start, copy)):
        raise CheckFailed("train_gd changed the arrays of the layers passed to it; work on copies "
                          "(np.array(W, dtype=float) makes one), so that the start point stays as it was.")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("`train_gd` should return a pair (layers, losses).")
    trained, losses = result
    trained = _structure(trained, "the layers returned by train_gd", 2)
    if not isinstance(losses, np.ndarray):
        raise CheckFailed(f"train_gd returns its losses as a {type(losses).__name__}; return a NumPy array of shape "
                          "(steps,) (np.array(losses)).")
    losses = expect_shape(losses, (steps,), f"the losses of train_gd(..., steps={steps})")
    if stand_in.calls == 0:  # it does not call loss_and_grads by that name: judge it with its own loss
        a = _logistic(x @ copy[0][0] + copy[0][1])
        expect_close(losses[0], _bce(_logistic(a @ copy[1][0] + copy[1][1]), y), "losses[0]", rtol=1e-9,
                     hint="losses[t] is the loss *before* update t, so losses[0] is the loss at the start point.")
        if not losses[-1] < losses[0]:
            raise CheckFailed(f"the loss went up from {losses[0]:.4f} to {losses[-1]:.4f} in {steps} small steps: "
                              "step *against* the gradient, W <- W - lr * dW.")
        passed(f"train_gd: {steps} losses, starting at the loss of the start point, falling from {losses[0]:.4f} "
               f"to {losses[-1]:.4f}")
        return
    what = "with a stand-in loss_and_grads (loss: half the sum of squared parameters; gradient: the parameters)"
    start_loss = stand_in(copy, x, y)[0]
    expect_close(losses[0], start_loss, f"losses[0] {what}", rtol=1e-9,
                 hint="losses[t] is the loss *before* update t, so losses[0] is the loss at the start point.")
    for k, ((W, b), (W0, b0)) in enumerate(zip(trained, copy)):
        for got, first, tag in ((W, W0, "W"), (b, b0, "b")):
            expect_close(got, first * (1 - lr) ** steps, f"the trained {tag}{k + 1} after {steps} steps {what}",
                         rtol=1e-9, hint="update every parameter, W <- W - lr * dW and b <- b - lr * db, once "
                                         "per step and from the current point.")
    expect_close(losses, start_loss * (1 - lr) ** (2 * np.arange(steps)), f"the losses {what}", rtol=1e-9,
                 hint="losses[t] is the loss before update t, one per step.")
    passed(f"train_gd (run {what}): {steps} losses taken before each update, every parameter updated as "
           "W <- W - lr * dW, and the start point left as it was")
