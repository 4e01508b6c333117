"""The grading functions of notebook 03 on their own, where the catalogue does not reach: the hidden tests alone
catch what the public checks also catch, the notebook's namespace is restored after a task ran with oracles, and
the oracles that stand in for earlier pieces agree with the formulas."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.checks import CheckFailed
from instructor.grading import a03_backprop_derivations as grading

NOTEBOOK = '''
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))

def softmax(f):
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

def forward(x, W1, b1, W2, b2):
    f1 = x @ W1 + b1
    a = sigmoid(f1)
    f2 = a @ W2 + b2
    return f1, a, f2, softmax(f2)

def cross_entropy(o, y):
    return -np.sum(y * np.log(o))

def grad_f2(o, y):
    return o - y

def backward(x, y, W1, b1, W2, b2):
    f1, a, f2, o = forward(x, W1, b1, W2, b2)
    d_f2 = grad_f2(o, y)
    d_f1 = d_f2 @ W2.T * a * (1 - a)
    return {"x": d_f1 @ W1.T, "W1": x.T @ d_f1, "b1": d_f1.sum(0), "W2": a.T @ d_f2, "b2": d_f2.sum(0)}

def bn_forward(x, gamma, beta, eps=1e-5):
    x = np.asarray(x, dtype=float)
    mu = x.mean()
    var = ((x - mu) ** 2).mean()
    xhat = (x - mu) / np.sqrt(var + eps)
    return {"x": x, "mu": mu, "var": var, "xhat": xhat, "gamma": gamma, "beta": beta, "eps": eps,
            "y": gamma * xhat + beta}

def bn_grad_xhat(dy, cache):
    return cache["gamma"] * dy

def bn_grad_var(dy, cache):
    return -0.5 * np.sum(bn_grad_xhat(dy, cache) * (cache["x"] - cache["mu"])) * (cache["var"] + cache["eps"]) ** -1.5

def bn_grad_mu(dy, cache):
    return (-np.sum(bn_grad_xhat(dy, cache)) / np.sqrt(cache["var"] + cache["eps"])
            - 2.0 * bn_grad_var(dy, cache) * np.mean(cache["x"] - cache["mu"]))

def bn_grad_x(dy, cache):
    m = len(dy)
    return (bn_grad_xhat(dy, cache) / np.sqrt(cache["var"] + cache["eps"])
            + bn_grad_var(dy, cache) * 2.0 * (cache["x"] - cache["mu"]) / m + bn_grad_mu(dy, cache) / m)
'''


def _notebook(extra: str = "") -> dict:
    """A namespace like the notebook's: the reference answers, then ``extra`` (a student's redefinitions)."""
    namespace = {"np": np}
    exec(NOTEBOOK + extra, namespace)  # noqa: S102 - the test's own code
    return namespace


def test_the_reference_passes_every_grading_function_which_returns_nothing():
    nb = _notebook()
    for name in ("softmax", "forward", "cross_entropy", "grad_f2", "bn_forward"):
        assert getattr(grading, f"grade_{name}")(nb[name]) is None  # None: the cell shows no partial credit
    for part in ("second_layer", "first_layer", "x"):
        assert grading.grade_backward(part, nb["backward"]) is None
    for term in ("xhat", "var", "mu", "x"):
        assert grading.grade_bn_grad(term, nb[f"bn_grad_{term}"]) is None


@pytest.mark.parametrize(("extra", "grade"), [
    ("def softmax(f):\n    f -= f.max(axis=1, keepdims=True)\n    return np.exp(f) / np.exp(f).sum(1, keepdims=True)",
     lambda nb: grading.grade_softmax(nb["softmax"])),
    ("def grad_f2(o, y):\n    o -= y\n    return o", lambda nb: grading.grade_grad_f2(nb["grad_f2"])),
    ("def bn_forward(x, gamma, beta, eps=1e-5):\n    x -= x.mean()\n    v = (x ** 2).mean()\n"
     "    h = x / np.sqrt(v + eps)\n    return dict(x=x, mu=0.0, var=v, xhat=h, gamma=gamma, beta=beta, eps=eps, "
     "y=gamma * h + beta)", lambda nb: grading.grade_bn_forward(nb["bn_forward"])),
    ("def bn_grad_xhat(dy, cache):\n    dy *= cache['gamma']\n    return dy",
     lambda nb: grading.grade_bn_grad("xhat", nb["bn_grad_xhat"])),
    ("def bn_grad_x(dy, cache):\n    cache['dxhat'] = bn_grad_xhat(dy, cache)\n    m, h = len(dy), cache['xhat']\n"
     "    s = np.sqrt(cache['var'] + cache['eps'])\n"
     "    return cache['gamma'] / (m * s) * (m * dy - dy.sum() - h * np.sum(dy * h))",
     lambda nb: grading.grade_bn_grad("x", nb["bn_grad_x"])),
], ids=["softmax", "grad_f2", "bn_forward", "bn_grad_xhat", "bn_grad_x-adds-a-key"])
def test_an_input_changed_in_place_fails_with_a_message_that_says_so(extra, grade):
    with pytest.raises(CheckFailed, match="in place"):
        grade(_notebook("\n" + extra))


def test_a_later_task_runs_with_the_oracles_and_the_namespace_is_restored_afterwards():
    nb = _notebook("\ndef grad_f2(o, y):\n    return y - o\n\ndef softmax(f):\n    return f\n"
                   "\ndef bn_grad_xhat(dy, cache):\n    return dy\n")
    students = {name: nb[name] for name in ("grad_f2", "softmax", "bn_grad_xhat")}
    grading.grade_forward(nb["forward"])
    grading.grade_backward("x", nb["backward"])
    grading.grade_bn_grad("x", nb["bn_grad_x"])
    assert all(nb[name] is fn for name, fn in students.items())
    with pytest.raises(CheckFailed, match="grad_f2"):
        grading.grade_grad_f2(nb["grad_f2"])


def test_the_namespace_is_restored_when_the_task_raises_and_names_it_lacked_are_removed():
    nb = _notebook("\ndef backward(x, y, W1, b1, W2, b2):\n    raise ValueError('half done')\n")
    del nb["cross_entropy"]
    students = {name: nb[name] for name in ("softmax", "forward", "grad_f2")}
    with pytest.raises(ValueError, match="half done"):
        grading.grade_backward("first_layer", nb["backward"])
    assert "cross_entropy" not in nb and all(nb[name] is fn for name, fn in students.items())


def test_a_callable_object_without_globals_is_graded_as_it_is():
    class Softmax:
        def __call__(self, f):
            e = np.exp(f - f.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

    grading.grade_softmax(Softmax())
    with pytest.raises(CheckFailed, match="should be a function"):
        grading.grade_softmax(np.zeros(3))


def test_missing_keys_are_named_not_a_key_error():
    nb = _notebook("\ndef backward(x, y, W1, b1, W2, b2):\n    return {'x': x}\n")
    with pytest.raises(CheckFailed, match="keys"):
        grading.grade_backward("second_layer", nb["backward"])
    with pytest.raises(CheckFailed, match="keys"):
        grading.grade_bn_forward(lambda x, gamma, beta, eps=1e-5: {"y": x})


def test_the_stand_in_oracles_agree_with_the_formulas():
    rng = np.random.default_rng(0)
    f2 = rng.normal(size=(5, 4)) * 400  # saturated: some probabilities underflow to exactly 0
    o, y = grading._softmax_oracle(f2), np.eye(4)[rng.integers(0, 4, size=5)]
    assert np.any(o == 0)
    np.testing.assert_allclose(grading._grad_f2_oracle(o, y), o - y, rtol=1e-12, atol=1e-300)
    cache = grading._bn_cache(rng.normal(2.0, 3.0, size=7), 1.7, -0.4, 0.2)
    dy, s = rng.normal(size=7), np.sqrt(cache["var"] + cache["eps"])
    expected = {"gamma": np.sum(dy * cache["xhat"]), "beta": np.sum(dy), "xhat": cache["gamma"] * dy,
                "var": -0.5 * cache["gamma"] * np.sum(dy * (cache["x"] - cache["mu"])) / s ** 3,
                "mu": -cache["gamma"] * np.sum(dy) / s}
    for term, want in expected.items():
        np.testing.assert_allclose(grading._bn_partial(term, dy, cache), want, rtol=1e-10, atol=1e-12)
