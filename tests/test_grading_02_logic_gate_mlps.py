"""The grading code of notebook 02 on cases the catalogue does not reach (the public checks stop those first), and
the public checks' isolation: a wrong ``mlp_forward``, truth table or ``loss_and_grads`` is not counted against
the networks or ``train_gd``."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.checks import CheckFailed
from helpers.checks import a02_logic_gate_mlps as checks
from instructor.grading import a02_logic_gate_mlps as grading


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _forward(x, layers):
    h = np.asarray(x, dtype=float)
    for W, b in layers:
        h = _sigmoid(h @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float))
    return h


def _forward_bias_subtracted(x, layers):
    h = np.asarray(x, dtype=float)
    for W, b in layers:
        h = _sigmoid(h @ np.asarray(W, dtype=float) - np.asarray(b, dtype=float))
    return h


TABLES = {"NOT": [1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0], "XNOR": [1, 0, 0, 1]}
NETS = {
    "AND": [(np.array([[10.0], [10.0]]), np.array([-15.0]))],
    "OR": [(np.array([[10.0], [10.0]]), np.array([-5.0]))],
    "XOR": [(np.array([[10.0, -10.0], [10.0, -10.0]]), np.array([-5.0, 15.0])),
            (np.array([[10.0], [10.0]]), np.array([-15.0]))],
    "XNOR": [(np.array([[10.0, -10.0], [10.0, -10.0]]), np.array([-5.0, 15.0])),
             (np.array([[-10.0], [-10.0]]), np.array([15.0]))],
}


def _loss_and_grads(layers, x, y, sign=1.0):
    (W1, b1), (W2, b2) = layers
    a = _sigmoid(x @ W1 + b1)
    o = _sigmoid(a @ W2 + b2)
    loss = -np.mean(y * np.log(o) + (1 - y) * np.log(1 - o))
    d2 = sign * (o - y) / len(x)
    d1 = (d2 @ W2.T) * a * (1 - a)
    return float(loss), [(x.T @ d1, d1.sum(0)), (a.T @ d2, d2.sum(0))]


def loss_and_grads(layers, x, y):  # the notebook's global name, looked up by the train_gd functions below
    return _loss_and_grads(layers, x, y, sign=-1.0)  # a wrong one: the gradient's sign flipped


def train_gd(layers, x, y, lr, steps):
    layers = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(layers, x, y)
        losses.append(loss)
        layers = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]
    return layers, np.array(losses)


def train_gd_in_place(layers, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(layers, x, y)
        losses.append(loss)
        for (W, b), (dW, db) in zip(layers, grads):
            W -= lr * dW
            b -= lr * db
    return layers, np.array(losses)


# -- the oracles -------------------------------------------------------------------------------------------------

def test_oracles_agree_with_numpy():
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(4, 1)), rng.normal(size=1))]
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=(5, 1)).astype(float)
    np.testing.assert_allclose(grading.reference_forward(x, layers), _forward(x, layers), rtol=1e-12)
    loss, grads = grading.reference_loss_and_grads(layers, x, y)
    want_loss, want_grads = _loss_and_grads(layers, x, y)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    for got, want in zip(grads, want_grads):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-14)


def test_reference_answers_pass():
    grading.grade_mlp_forward(_forward)
    grading.grade_classify(lambda o: (np.asarray(o) >= 0.5).astype(int))
    grading.grade_truth_tables({k: np.array(v) for k, v in TABLES.items()})
    grading.grade_not_bias_range(lambda w, m: (np.log((0.5 + m) / (0.5 - m)), -w - np.log((0.5 + m) / (0.5 - m))))
    for gate, net in NETS.items():
        grading.grade_gate(gate, net)


# -- the gates ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("net, match", [
    ([(np.array([[10.0], [10.0]]), np.array([-5.0]))], "wanted class 0"),  # OR
    ([(np.array([[np.inf], [np.inf]]), np.array([-1.0]))], "outputs nan"),  # NaN on the class-0 rows
    ([(np.array([[0.2], [0.2]]), np.array([-0.3]))], "at least 0.1"),  # right classes, no margin
    ([[np.array([[10.0], [10.0]])], ], "pair"),
    ((np.array([[10.0, 10.0]]), np.array([-15.0])), "smallest"),
])
def test_gate_grading_rejects(net, match):
    with pytest.raises(CheckFailed, match=match):
        grading.grade_gate("AND", net)


def test_gate_grading_accepts_lists_tensors_and_a_row_bias():
    import torch

    grading.grade_gate("AND", [([[3.0], [3.0]], [[-4.5]])])
    grading.grade_gate("OR", [(torch.tensor([[3.0], [2.0]], dtype=torch.float64), torch.tensor([-1.0]))])


def test_gate_public_check_skips_a_broken_forward_and_untrusted_tables(capsys):
    checks.check_gate_network(NETS["AND"], "and_layers", "AND", TABLES, _forward)
    assert "[ok]" in capsys.readouterr().out
    checks.check_gate_network(NETS["AND"], "and_layers", "AND", TABLES, _forward_bias_subtracted)
    assert "not checked yet" in capsys.readouterr().out
    checks.check_gate_network(NETS["XNOR"], "xnor_layers", "XNOR", {**TABLES, "XNOR": [0, 1, 1, 0]}, _forward)
    assert "not compared" in capsys.readouterr().out
    checks.check_gate_network(NETS["AND"], "and_layers", "AND", {"AND": [0, 0, 0, 1]}, _forward)
    with pytest.raises(CheckFailed, match="truth table says"):
        checks.check_gate_network(NETS["OR"], "and_layers", "AND", TABLES, _forward)
    with pytest.raises(CheckFailed, match="closer than"):  # the margin is the network's own, checked regardless
        checks.check_gate_network([(np.array([[0.2], [0.2]]), np.array([-0.3]))], "and_layers", "AND", {}, _forward)


# -- the other tasks ---------------------------------------------------------------------------------------------

def test_forward_that_changes_its_input_fails_naming_it():
    def in_place(x, layers):
        out = _forward(x, layers)
        x *= 0
        return out

    with pytest.raises(CheckFailed, match="`x` in place"):
        grading.grade_mlp_forward(in_place)


def test_classify_boundaries():
    with pytest.raises(CheckFailed):
        grading.grade_classify(lambda o: (np.asarray(o) > 0.5).astype(int))
    with pytest.raises((CheckFailed, TypeError)):  # works on 2-D and 1-D arrays only
        grading.grade_classify(lambda o: np.array([[int(v >= 0.5) for v in row] for row in np.atleast_2d(o)])
                               .reshape(np.shape(o)))
    grading.grade_classify(lambda o: ~(np.asarray(o) < 0.5))


def test_truth_tables_missing_entry_is_named():
    with pytest.raises(CheckFailed, match="'XNOR'"):
        grading.grade_truth_tables({k: v for k, v in TABLES.items() if k != "XNOR"})
    with pytest.raises(CheckFailed, match="dict"):
        grading.grade_truth_tables([TABLES])


def test_not_bias_range_must_be_a_pair():
    with pytest.raises(CheckFailed, match="pair"):
        grading.grade_not_bias_range(lambda w, m: 0.5)


def test_loss_and_grads_grading():
    grading.grade_loss_and_grads(_loss_and_grads)
    with pytest.raises(CheckFailed, match="dW1"):
        grading.grade_loss_and_grads(lambda layers, x, y: _loss_and_grads(layers, x, y, sign=-1.0))


def test_train_gd_runs_with_the_reference_loss_and_grads():
    # this module's loss_and_grads is wrong; train_gd itself is right, and is graded right, publicly and hidden
    grading.grade_train_gd(train_gd)
    checks.check_train_gd(train_gd)
    with pytest.raises(CheckFailed, match="`layers` in place"):
        grading.grade_train_gd(train_gd_in_place)
    with pytest.raises(CheckFailed, match="changed the arrays"):
        checks.check_train_gd(train_gd_in_place)


def test_with_global_reaches_comprehensions_and_leaves_the_function_alone():
    def uses_it_in_a_comprehension(n):
        return [loss_and_grads(None, None, None) for _ in range(n)]

    clone = checks.with_global(uses_it_in_a_comprehension, "loss_and_grads", lambda *args: "stand-in")
    assert clone(2) == ["stand-in", "stand-in"]
    assert checks.with_global(len, "loss_and_grads", print) is len
    assert train_gd.__globals__["loss_and_grads"] is loss_and_grads


def test_xor_training_grading():
    seed0 = np.random.default_rng(0)
    start = [(seed0.normal(size=(2, 2)), np.zeros(2)), (seed0.normal(size=(2, 1)), np.zeros(1))]
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    trained, losses = grading.reference_descent(start, x, y, 1.0, 2000)
    grading.grade_xor_training(trained, losses)
    with pytest.raises(CheckFailed, match="xor_losses\\[0\\]"):
        grading.grade_xor_training(trained, losses[1:])
    with pytest.raises(CheckFailed, match="empty"):
        grading.grade_xor_training(trained, [])
    with pytest.raises(CheckFailed, match="2-2-1 network"):
        grading.grade_xor_training(trained[:1], losses)
    short, short_losses = grading.reference_descent(start, x, y, 1.0, 20)
    with pytest.raises(CheckFailed, match="xor_trained"):
        grading.grade_xor_training(short, short_losses)
