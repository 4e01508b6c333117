"""Grading code of notebook 02 (logic gates as sigmoid MLPs): what its hidden tests call.

Oracles, each written once: :data:`GATES` (the Boolean functions, by their definitions), :func:`reference_forward`
(the sigmoid MLP evaluator, in PyTorch), :func:`reference_loss_and_grads` (mean binary cross-entropy of a two-layer
network and its gradients, by PyTorch autograd), :func:`reference_descent` (gradient descent with the latter) and a
brute-force search over biases for the NOT interval.

Each grading function grades its own task: every network (the hand-made gates, the trained XOR network) is
evaluated with :func:`reference_forward`, never with the student's ``mlp_forward``; the student's ``train_gd``
runs with :func:`reference_loss_and_grads` in place of the student's ``loss_and_grads``. Student functions get
copies of their inputs, and an input they change in place is named in the message.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import CheckFailed, as_float_array, call_quietly, expect_close, expect_shape, unchanged
from helpers.checks.a02_logic_gate_mlps import MARGIN, unpack_loss_and_grads, with_global

Layers = list[tuple[np.ndarray, np.ndarray]]

ROWS = [(a, b) for a in (0, 1) for b in (0, 1)]  # the row order of INPUTS: AB = 00, 01, 10, 11
GATES: dict[str, Callable[[int, int], bool]] = {
    "AND": lambda a, b: bool(a and b),
    "OR": lambda a, b: bool(a or b),
    "XOR": lambda a, b: a != b,
    "XNOR": lambda a, b: a == b,
}
# the smallest network of each gate: layer sizes, and the sentence that says so
SMALLEST: dict[str, tuple[tuple[int, ...], str]] = {
    "AND": ((2, 1), "a single neuron (one layer, W of shape (2, 1))"),
    "OR": ((2, 1), "a single neuron (one layer, W of shape (2, 1))"),
    "XOR": ((2, 2, 1), "one hidden layer of two neurons and one output neuron (2-2-1)"),
    "XNOR": ((2, 2, 1), "one hidden layer of two neurons and one output neuron (2-2-1)"),
}


# -- the oracles -------------------------------------------------------------------------------------------------

def _tensor(value: Any) -> torch.Tensor:
    return torch.from_numpy(np.array(value, dtype=np.float64))


def _torch_forward(h: torch.Tensor, params: Sequence[torch.Tensor]) -> torch.Tensor:
    for W, b in zip(params[0::2], params[1::2]):
        h = torch.sigmoid(h @ W + b)
    return h


def reference_forward(x: Any, layers: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """The outputs of the sigmoid MLP ``layers`` (row convention, h <- sigmoid(h @ W + b)) for the inputs ``x``."""
    return _torch_forward(_tensor(x), [_tensor(p) for pair in layers for p in pair]).numpy()


def reference_loss_and_grads(layers: Sequence[tuple[Any, Any]], x: Any, y: Any) -> tuple[float, Layers]:
    """Mean binary cross-entropy of the network ``layers`` on ``(x, y)`` and its gradients ``[(dW, db), ...]``."""
    params = [_tensor(p).requires_grad_(True) for pair in layers for p in pair]
    loss = F.binary_cross_entropy(_torch_forward(_tensor(x), params), _tensor(y))
    loss.backward()
    grads = [p.grad.numpy() for p in params]
    return loss.item(), list(zip(grads[0::2], grads[1::2]))


def reference_descent(layers: Layers, x: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[Layers, list]:
    """``steps`` updates p <- p - lr * dp from ``layers``: the last point and the loss before each update."""
    losses = []
    for _ in range(steps):
        loss, grads = reference_loss_and_grads(layers, x, y)
        losses.append(loss)
        layers = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]
    return layers, losses


def _targets(gate: str) -> np.ndarray:
    return np.array([[float(GATES[gate](a, b))] for a, b in ROWS])


# -- calling student code ----------------------------------------------------------------------------------------


def _call(fn: Callable[..., Any], task: str, **arguments: Any) -> Any:
    """``fn(*arguments)`` on copies of the arguments, quietly; fails naming an argument that ``fn`` changed."""
    given = copy.deepcopy(list(arguments.values()))
    result = call_quietly(fn, *given)
    for (name, before), after in zip(arguments.items(), given):
        if not unchanged(before, after):
            raise CheckFailed(f"`{task}` changed its argument `{name}` in place; the caller still needs it as it "
                              "was, so work on a copy (np.array(...) makes one) or build new arrays.")
    return result


def _network(layers: Any, name: str, sizes: tuple[int, ...], wanted: str) -> Layers:
    """``layers`` as float arrays, if it has the layer sizes ``sizes`` (a bias of shape (1, n) is accepted);
    ``wanted`` says in a sentence what it should be."""
    if not isinstance(layers, (list, tuple)) or len(layers) != len(sizes) - 1:
        raise CheckFailed(f"`{name}` has {len(layers) if isinstance(layers, (list, tuple)) else 'no list of'} "
                          f"layer(s): {wanted}.")
    checked = []
    for k, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise CheckFailed(f"layer {k} of `{name}` should be a pair (W, b).")
        W = as_float_array(layer[0], f"W of layer {k} of {name}")
        b = as_float_array(layer[1], f"b of layer {k} of {name}").reshape(-1)
        shape = (sizes[k], sizes[k + 1])
        if W.shape != shape or b.shape != (shape[1],):
            raise CheckFailed(f"layer {k} of `{name}` has W {W.shape} and b {b.shape}, where W {shape} and b "
                              f"{(shape[1],)} were expected: {wanted}.")
        checked.append((W, b))
    return checked


def _expect_gate(layers: Layers, gate: str, name: str, targets: np.ndarray | None = None) -> None:
    """Every row of ``gate`` (or of the 0/1 column ``targets``) in its class, ``MARGIN`` away from 0.5 (class 1 is an
    output >= 0.5)."""
    column = _targets(gate)[:, 0] if targets is None else np.asarray(targets, dtype=float).reshape(-1)
    for (a, b), out, want in zip(ROWS, reference_forward(ROWS, layers)[:, 0], column.astype(bool)):
        if not (abs(out - 0.5) >= MARGIN and (out >= 0.5) == want):  # NaN fails too
            raise CheckFailed(f"`{name}` outputs {out:.4f} for A={a}, B={b}; wanted class {int(want)}, at least "
                              f"{MARGIN} away from 0.5.")


# -- the grading functions ---------------------------------------------------------------------------------------

def grade_mlp_forward(mlp_forward: Callable[..., Any]) -> None:
    """Random networks of several depths and widths against :func:`reference_forward`."""
    rng = np.random.default_rng(201)
    for sizes in [(2, 2, 1), (3, 5, 4, 2), (4, 4), (2, 3, 3, 1)]:
        x = rng.normal(size=(6, sizes[0])) * 2
        layers = [(rng.normal(size=(i, o)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:])]
        expect_close(_call(mlp_forward, "mlp_forward", x=x, layers=layers), reference_forward(x, layers),
                     f"mlp_forward for layer sizes {sizes}", rtol=1e-9, atol=1e-12)


def grade_classify(classify: Callable[..., Any]) -> None:
    """Random outputs with 0.5 itself and its two neighbours among them, in 2-D, 1-D and 3-D arrays; integers (or
    booleans) come back."""
    rng = np.random.default_rng(202)
    outputs = rng.uniform(0, 1, size=(5, 3))
    outputs[0, 0] = outputs[3, 0] = 0.5
    outputs[2, 1] = np.nextafter(0.5, 0.0)
    outputs[4, 2] = np.nextafter(0.5, 1.0)
    cube = rng.uniform(0, 1, size=(2, 2, 3))
    cube[1, 0, 2] = 0.5
    flat = np.array([0.5, 0.25, 0.75, 1e-9])
    for what, o in [("random outputs with 0.5 among them", outputs), ("a 1-D array", flat), ("a 3-D array", cube)]:
        want = [1 if v >= 0.5 else 0 for v in o.ravel()]
        got = np.asarray(_call(classify, "classify", outputs=o))
        if got.dtype.kind not in "iub":
            raise CheckFailed(f"classify(outputs) gives an array of dtype {got.dtype}; the task asks for an integer "
                              "array of 0s and 1s (astype(int)).")
        expect_close(got, np.reshape(want, o.shape), f"classify(outputs) of {what}", rtol=0, atol=0)


def grade_truth_tables(truth_tables: Any) -> None:
    """Each column against the definition of its gate."""
    if not isinstance(truth_tables, dict):
        raise CheckFailed(f"`truth_tables` should be a dict, but it is a {type(truth_tables).__name__}.")
    for gate in ["NOT", *GATES]:
        if gate not in truth_tables:
            raise CheckFailed(f"`truth_tables` has no entry '{gate}'.")
    for gate in ["NOT", *GATES]:
        if np.asarray(truth_tables[gate]).dtype.kind not in "iubf":
            raise CheckFailed(f"truth_tables['{gate}'] holds {np.asarray(truth_tables[gate]).dtype} values; write the "
                              "outputs as the numbers 0 and 1, not as text.")
    for gate, op in GATES.items():
        expect_close(truth_tables[gate], [int(op(a, b)) for a, b in ROWS], f"truth_tables['{gate}']", rtol=0, atol=0)
    expect_close(truth_tables["NOT"], [int(not a) for a in (0, 1)], "truth_tables['NOT']", rtol=0, atol=0)


def grade_not_bias_range(not_bias_range: Callable[..., Any]) -> None:
    """Both ends against a brute-force search over biases (step 1e-5) for random weights and margins."""
    rng = np.random.default_rng(204)
    grid = np.linspace(-12.0, 12.0, 2_400_001)
    for _ in range(4):
        w, m = -rng.uniform(1.5, 6.0), rng.uniform(0.02, 0.3)
        ok = ((torch.sigmoid(torch.from_numpy(grid)).numpy() >= 0.5 + m)  # A = 0
              & (torch.sigmoid(torch.from_numpy(w + grid)).numpy() <= 0.5 - m))  # A = 1
        got = _call(not_bias_range, "not_bias_range", w=w, margin=m)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"`not_bias_range` should return a pair (lo, hi), but it returned {got!r}.")
        expect_close(got[0], grid[ok][0], f"lo of not_bias_range({w:.3f}, {m:.3f})", rtol=0, atol=2e-5)
        expect_close(got[1], grid[ok][-1], f"hi of not_bias_range({w:.3f}, {m:.3f})", rtol=0, atol=2e-5)


def grade_gate(gate: str, layers: Any) -> None:
    """The network ``<gate>_layers``: the smallest structure, every row right with the margin, evaluated with
    :func:`reference_forward` (so a wrong ``mlp_forward`` costs nothing here)."""
    gate = gate.upper()
    name = f"{gate.lower()}_layers"
    sizes, smallest = SMALLEST[gate]
    _expect_gate(_network(layers, name, sizes, f"the smallest network for {gate} is {smallest}"), gate, name)


def grade_loss_and_grads(loss_and_grads: Callable[..., Any]) -> None:
    """Loss and the four gradients of random networks against :func:`reference_loss_and_grads` (autograd)."""
    rng = np.random.default_rng(206)
    for n, d, hidden in [(4, 2, 2), (7, 3, 5), (5, 4, 3)]:
        x = rng.normal(size=(n, d))
        y = rng.integers(0, 2, size=(n, 1)).astype(float)
        p = [rng.normal(size=s) for s in [(d, hidden), (hidden,), (hidden, 1), (1,)]]
        layers = [(p[0], p[1]), (p[2], p[3])]
        want_loss, want_grads = reference_loss_and_grads(layers, x, y)
        got_loss, got_grads = unpack_loss_and_grads(_call(loss_and_grads, "loss_and_grads", layers=layers, x=x, y=y),
                                      "loss_and_grads", layers)
        what = f"for N={n} and a {d}-{hidden}-1 network"
        expect_close(got_loss, want_loss, f"the loss {what}", rtol=1e-9)
        for k, ((gW, gb), (wW, wb)) in enumerate(zip(got_grads, want_grads)):
            expect_close(gW, wW, f"dW{k + 1} {what}", rtol=1e-7, atol=1e-11)
            expect_close(gb, wb, f"db{k + 1} {what}", rtol=1e-7, atol=1e-11)


def grade_train_gd(train_gd: Callable[..., Any]) -> None:
    """Losses and trained parameters against :func:`reference_descent`, the student's ``train_gd`` running with
    :func:`reference_loss_and_grads` in place of theirs (so a wrong ``loss_and_grads`` costs nothing here)."""
    rng = np.random.default_rng(207)
    cases = []
    for n, d, hidden, lr, steps in [(6, 3, 3, 0.7, 7), (5, 2, 4, 0.3, 4)]:
        x = rng.normal(size=(n, d))
        y = rng.integers(0, 2, size=(n, 1)).astype(float)
        start = [(rng.normal(size=(d, hidden)), rng.normal(size=hidden)),
                 (rng.normal(size=(hidden, 1)), rng.normal(size=1))]
        cases.append((x, y, start, lr, steps, (d, hidden, 1)))
    student = with_global(train_gd, "loss_and_grads", reference_loss_and_grads)
    for x, y, start, lr, steps, sizes in cases:
        want_layers, want_losses = reference_descent(start, x, y, lr, steps)
        result = _call(student, "train_gd", layers=start, x=x, y=y, lr=lr, steps=steps)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise CheckFailed("`train_gd` should return a pair (layers, losses).")
        what = f"{steps} steps with lr = {lr}"
        if not isinstance(result[1], np.ndarray):
            raise CheckFailed(f"`train_gd` returns its losses as a {type(result[1]).__name__}; the task asks for a "
                              "NumPy array of shape (steps,) (np.array(losses)).")
        expect_close(result[1], want_losses, f"the losses of {what}", rtol=1e-8)
        trained = _network(result[0], "the layers returned by train_gd", sizes,
                           "the trained layers have the shapes of the start point")
        for k, ((W, b), (wW, wb)) in enumerate(zip(trained, want_layers)):
            expect_close(W, wW, f"the trained W{k + 1} after {what}", rtol=1e-8, atol=1e-11)
            expect_close(b, wb, f"the trained b{k + 1} after {what}", rtol=1e-8, atol=1e-11)


def _own_xor_column(truth_tables: Any) -> np.ndarray | None:
    """The student's XOR column of ``truth_tables`` (4 x 1) when it is four 0/1 numbers other than XOR: the
    targets they trained on, whose mistake test_truth_tables has already counted."""
    try:
        column = np.asarray(truth_tables["XOR"], dtype=float).reshape(4, 1)
    except Exception:  # noqa: BLE001 - whatever the student stored
        return None
    if not np.all((column == 0) | (column == 1)) or np.array_equal(column, _targets("XOR")):
        return None
    return column


def grade_xor_training(xor_trained: Any, xor_losses: Any, truth_tables: Any = None) -> None:
    """``xor_losses[0]`` is the loss at the seed-0 start; ``xor_trained`` computes XOR with the margin (evaluated
    with :func:`reference_forward`) and has mean cross-entropy below 0.1. Where the student's ``truth_tables`` has
    another XOR column (graded in its own cell), the training is judged on that column, the targets it was given."""
    seed0 = np.random.default_rng(0)
    start = [(seed0.normal(size=(2, 2)), np.zeros(2)), (seed0.normal(size=(2, 1)), np.zeros(1))]
    own = _own_xor_column(truth_tables)
    targets = _targets("XOR") if own is None else own
    losses = expect_shape(xor_losses, (None,), "xor_losses")
    if losses.size == 0:
        raise CheckFailed("`xor_losses` is empty; it should hold the loss before each training step.")
    expect_close(losses[0], reference_loss_and_grads(start, ROWS, targets)[0], "xor_losses[0] (the loss at xor_start)",
                 rtol=1e-8)
    trained = _network(xor_trained, "xor_trained", (2, 2, 1), "it is trained from xor_start, a 2-2-1 network")
    _expect_gate(trained, "XOR", "xor_trained", targets)
    final = reference_loss_and_grads(trained, ROWS, targets)[0]
    if not final < 0.1:
        raise CheckFailed(f"the trained network has mean cross-entropy {final:.4f}; train until it is below 0.1")
