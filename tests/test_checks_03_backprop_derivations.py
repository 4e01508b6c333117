"""Unit tests of the public checks of notebook 03: correct answers pass, typical mistakes fail."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.checks import CheckFailed
from helpers.checks import a03_backprop_derivations as checks


def _shapes(m, n_in=10, n_hidden=50, n_out=3):
    return {"X": (m, n_in), "W_h": (n_in, n_hidden), "b_h": (n_hidden,), "W_o": (n_hidden, n_out),
            "b_o": (n_out,), "Y": (m, n_out)}


def _mlp(X, W_h, b_h, W_o, b_o):
    return np.maximum(np.maximum(X @ W_h + b_h, 0) @ W_o + b_o, 0)


def _softmax(f):
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _forward(x, W1, b1, W2, b2):
    f1 = x @ W1 + b1
    a = 1 / (1 + np.exp(-f1))
    f2 = a @ W2 + b2
    return f1, a, f2, _softmax(f2)


def _cross_entropy(o, y):
    return -np.sum(y * np.log(o))


def _backward(x, y, W1, b1, W2, b2, sigmoid_derivative=True):
    _, a, _, o = _forward(x, W1, b1, W2, b2)
    d2 = o - y
    d1 = d2 @ W2.T * (a * (1 - a) if sigmoid_derivative else 1.0)
    return {"x": d1 @ W1.T, "W1": x.T @ d1, "b1": d1.sum(0), "W2": a.T @ d2, "b2": d2.sum(0)}


def _bn_forward(x, gamma, beta, eps=1e-5, ddof=0):
    x = np.asarray(x, dtype=float)
    mu, var = x.mean(), x.var(ddof=ddof)
    xhat = (x - mu) / np.sqrt(var + eps)
    return {"x": x, "mu": mu, "var": var, "xhat": xhat, "gamma": gamma, "beta": beta, "eps": eps,
            "y": gamma * xhat + beta}


def _s(c):
    return np.sqrt(c["var"] + c["eps"])


def _dx(dy, c):
    m = len(dy)
    return c["gamma"] / (m * _s(c)) * (m * dy - dy.sum() - c["xhat"] * np.sum(dy * c["xhat"]))


def test_mlp_checks():
    checks.check_mlp_shapes(_shapes)
    checks.check_mlp_forward(_mlp)
    with pytest.raises(CheckFailed):
        checks.check_mlp_shapes(lambda m: {**_shapes(m), "W_h": (50, 10)})
    with pytest.raises(CheckFailed):
        checks.check_mlp_forward(lambda X, W_h, b_h, W_o, b_o: np.maximum(X @ W_h + b_h, 0) @ W_o + b_o)


def test_softmax_and_forward_checks(capsys):
    checks.check_softmax(_softmax)
    assert "[warning]" not in capsys.readouterr().out
    checks.check_softmax(lambda f: np.exp(f) / np.exp(f).sum(axis=1, keepdims=True))
    assert "[warning]" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        checks.check_softmax(lambda f: np.exp(f) / np.exp(f).sum(axis=0, keepdims=True))
    checks.check_forward(_forward)
    with pytest.raises(CheckFailed):
        checks.check_forward(lambda x, W1, b1, W2, b2: _forward(x, W1, 0 * b1, W2, 0 * b2))
    checks.check_cross_entropy(_cross_entropy)
    with pytest.raises(CheckFailed):
        checks.check_cross_entropy(lambda o, y: -np.mean(np.sum(y * np.log(o), axis=1)))


def test_gradient_checks():
    checks.check_grad_f2(lambda o, y: o - y)
    with pytest.raises(CheckFailed):
        checks.check_grad_f2(lambda o, y: y - o)
    for keys in (("W2", "b2"), ("W1", "b1"), ("x",)):
        checks.check_backward(_backward, _forward, _cross_entropy, keys)
    with pytest.raises(CheckFailed):
        checks.check_backward(lambda *a: _backward(*a, sigmoid_derivative=False), _forward, _cross_entropy, ("x",))


def test_batchnorm_checks():
    checks.check_bn_forward(_bn_forward)
    with pytest.raises(CheckFailed):
        checks.check_bn_forward(lambda x, g, b, eps=1e-5: _bn_forward(x, g, b, eps, ddof=1))
    checks.check_bn_grad_gamma(lambda dy, c: np.sum(dy * c["xhat"]), _bn_forward)
    checks.check_bn_grad_beta(lambda dy, c: np.sum(dy), _bn_forward)
    checks.check_bn_grad_xhat(lambda dy, c: c["gamma"] * dy, _bn_forward)
    checks.check_bn_grad_var(lambda dy, c: -0.5 * c["gamma"] * np.sum(dy * c["xhat"]) / _s(c) ** 2, _bn_forward)
    checks.check_bn_grad_mu(lambda dy, c: -c["gamma"] * np.sum(dy) / _s(c), _bn_forward)
    checks.check_bn_grad_x(_dx, _bn_forward)
    with pytest.raises(CheckFailed):
        checks.check_bn_grad_var(lambda dy, c: -0.5 * c["gamma"] * np.sum(dy * c["xhat"]) / _s(c), _bn_forward)
    with pytest.raises(CheckFailed):
        checks.check_bn_grad_mu(lambda dy, c: c["gamma"] * np.sum(dy) / _s(c), _bn_forward)
    with pytest.raises(CheckFailed):
        checks.check_bn_grad_x(lambda dy, c: c["gamma"] * dy / _s(c), _bn_forward)
