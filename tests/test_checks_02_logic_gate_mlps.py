"""The public checks of notebook 02 accept correct answers and reject typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.checks import CheckFailed
from helpers.checks import a02_logic_gate_mlps as logic


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _forward(x, layers):
    h = np.asarray(x, dtype=float)
    for W, b in layers:
        h = _sigmoid(h @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float))
    return h


def _forward_transposed(x, layers):
    h = np.asarray(x, dtype=float)
    for W, b in layers:
        h = _sigmoid(h @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float))
    return h


def _forward_without_bias(x, layers):
    h = np.asarray(x, dtype=float)
    for W, _ in layers:
        h = _sigmoid(h @ np.asarray(W, dtype=float))
    return h


def test_forward_check():
    logic.check_mlp_forward(_forward)
    for wrong in (_forward_transposed, _forward_without_bias):
        with pytest.raises(CheckFailed):
            logic.check_mlp_forward(wrong)


def test_classify_check():
    logic.check_classify(lambda o: (np.asarray(o) >= 0.5).astype(int))
    with pytest.raises(CheckFailed, match="0.5"):
        logic.check_classify(lambda o: (np.asarray(o) > 0.5).astype(int))


TABLES = {"NOT": [1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0], "XNOR": [1, 0, 0, 1]}


def test_truth_table_check():
    logic.check_truth_tables(TABLES)
    for gate, column in [("XNOR", [0, 1, 1, 0]), ("NOT", [1, 1]), ("AND", [0, 1, 0, 1]), ("OR", [0, 0, 0, 1])]:
        with pytest.raises(CheckFailed):
            logic.check_truth_tables({**TABLES, gate: column})


def test_bias_range_check():
    def right(w, m):
        t = np.log((0.5 + m) / (0.5 - m))
        return t, -w - t

    logic.check_not_bias_range(right)
    with pytest.raises(CheckFailed):
        logic.check_not_bias_range(lambda w, m: (0.0, -w))


INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_gate_check():
    and_net = [(np.array([[1.0], [1.0]]), np.array([-1.5]))]
    logic.check_gate(and_net, "and", INPUTS, TABLES["AND"], _forward)
    with pytest.raises(CheckFailed, match="margin"):
        logic.check_gate([(np.array([[0.2], [0.2]]), np.array([-0.3]))], "and", INPUTS, TABLES["AND"], _forward)
    with pytest.raises(CheckFailed, match="truth table"):
        logic.check_gate(and_net, "or", INPUTS, TABLES["OR"], _forward)
    with pytest.raises(CheckFailed, match="shape"):
        logic.check_gate([(np.array([[1.0, 1.0]]), np.array([-1.5]))], "and", INPUTS, TABLES["AND"], _forward)


def _loss_and_grads(layers, x, y, sign=1.0):
    (W1, b1), (W2, b2) = layers
    a = _sigmoid(x @ W1 + b1)
    o = _sigmoid(a @ W2 + b2)
    loss = -np.mean(y * np.log(o) + (1 - y) * np.log(1 - o))
    d2 = sign * (o - y) / len(x)
    d1 = (d2 @ W2.T) * a * (1 - a)
    return loss, [(x.T @ d1, d1.sum(0)), (a.T @ d2, d2.sum(0))]


def test_gradient_check():
    logic.check_loss_and_grads(_loss_and_grads)
    with pytest.raises(CheckFailed):
        logic.check_loss_and_grads(lambda layers, x, y: _loss_and_grads(layers, x, y, sign=-1.0))


def _train(layers, x, y, lr, steps, sign=-1.0):
    losses = []
    for _ in range(steps):
        loss, grads = _loss_and_grads(layers, x, y)
        losses.append(loss)
        layers = [(W + sign * lr * dW, b + sign * lr * db) for (W, b), (dW, db) in zip(layers, grads, strict=True)]
    return layers, np.array(losses)


def test_train_check():
    logic.check_train_gd(_train)
    with pytest.raises(CheckFailed):
        logic.check_train_gd(lambda *args: _train(*args, sign=1.0))
