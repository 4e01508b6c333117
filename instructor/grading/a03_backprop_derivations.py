"""The hidden tests of notebook 03 (backpropagation by hand): one grading function per task.

Every answer is compared with PyTorch: its functions for the values (``torch.softmax``, ``F.batch_norm``, ...) and
its autograd for the gradients. Each oracle is written once and does two jobs: it grades its own task, and it
stands in for that task when a later task builds on it. A later task is run with the oracles of the earlier pieces
it may call (``forward`` with ``softmax``; ``backward`` with ``softmax``, ``forward``, ``cross_entropy`` and
``grad_f2``; each batch-norm gradient with ``bn_forward`` and the gradients before it; the notebook allows these
calls), so a mistake in an earlier piece costs points in that piece's cell only. Every task gets copies of its
inputs, and changing an input in place is a mistake of its own.

The cases and seeds are those of the hidden tests that lived in the notebook before (seeds 301 to 316).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import CheckFailed, expect_callable, expect_close
from helpers.checks.a03_backprop_derivations import call_unchanged

Fn = Callable[..., Any]


# -- Calling a student's function: copies of the inputs, oracles for the earlier pieces -------------------------

@contextlib.contextmanager
def _earlier_pieces(fn: Fn, oracles: dict[str, Fn]) -> Iterator[None]:
    """While the block runs, the names in ``oracles`` (earlier tasks) refer to the oracles in the namespace where
    ``fn`` was defined (the notebook's), so ``fn`` and any helper of the student's there call the oracles; the
    student's own functions are put back afterwards, whatever happens."""
    namespace = getattr(fn, "__globals__", None)
    if not oracles or not isinstance(namespace, dict):
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in oracles}
    namespace.update(oracles)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _call(task: str, fn: Fn, args: dict[str, Any], oracles: dict[str, Fn] | None = None, **keywords: Any) -> Any:
    """``fn(*args.values(), **keywords)`` on copies of ``args`` (failing if ``fn`` changed one of them in place),
    with the earlier pieces in ``oracles`` replaced by their oracles."""
    expect_callable(fn, task)
    with _earlier_pieces(fn, oracles or {}):
        return call_unchanged(fn, task, args, **keywords)


def _tensor(value: Any, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=torch.float64, requires_grad=requires_grad)


# -- Part 1: shapes and the forward pass of a ReLU MLP ------------------------------------------------------

def grade_mlp_shapes(mlp_shapes: Fn) -> None:
    """The six shapes against those of ``torch.nn.Linear`` layers (weights transposed: one example per row), for
    the default sizes and two others, with random batch sizes."""
    rng = np.random.default_rng(301)
    cases = [(int(rng.integers(1, 500)), {}), (7, {"n_in": 4, "n_hidden": 9, "n_out": 2}),
             (int(rng.integers(1, 50)), {"n_in": 13, "n_hidden": 6, "n_out": 5})]
    for m, sizes in cases:
        n_in, n_hidden, n_out = sizes.get("n_in", 10), sizes.get("n_hidden", 50), sizes.get("n_out", 3)
        hidden, output = torch.nn.Linear(n_in, n_hidden), torch.nn.Linear(n_hidden, n_out)
        X = torch.zeros(m, n_in)
        want = {"X": X.shape, "W_h": hidden.weight.T.shape, "b_h": hidden.bias.shape,
                "W_o": output.weight.T.shape, "b_o": output.bias.shape, "Y": output(hidden(X)).shape}
        got = _call("mlp_shapes", mlp_shapes, {"m": m}, **sizes)
        if not isinstance(got, dict) or set(want) - set(got):
            raise CheckFailed(f"`mlp_shapes({m}, **{sizes})` should return a dict with the keys {list(want)}.")
        for key in want:
            if not isinstance(got[key], tuple) or not all(isinstance(n, int | np.integer) for n in got[key]):
                raise CheckFailed(f"`mlp_shapes(...)['{key}']` is {got[key]!r}; each shape should be a tuple of "
                                  "ints, as NumPy writes shapes, e.g. (m, 10).")
        for key, shape in want.items():
            expect_close(got[key], tuple(shape), f"mlp_shapes({m}, **{sizes})['{key}']")


def grade_mlp_forward(mlp_forward: Fn) -> None:
    """Y against ``relu(linear(relu(linear(X))))`` in torch, for three sizes, a batch of one included."""
    rng = np.random.default_rng(302)
    for m, n_in, n_hidden, n_out in [(int(rng.integers(2, 40)), 10, 50, 3), (5, 7, 4, 6), (1, 10, 50, 3)]:
        X, W_h, b_h = rng.normal(size=(m, n_in)), rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden)
        W_o, b_o = rng.normal(size=(n_hidden, n_out)) / np.sqrt(n_hidden), rng.normal(size=n_out) + 0.5
        t = [torch.from_numpy(v) for v in (X, W_h, b_h, W_o, b_o)]
        want = F.relu(F.linear(F.relu(F.linear(t[0], t[1].T, t[2])), t[3].T, t[4])).numpy()
        got = _call("mlp_forward", mlp_forward, {"X": X, "W_h": W_h, "b_h": b_h, "W_o": W_o, "b_o": b_o})
        expect_close(got, want, f"mlp_forward for m={m}, sizes {n_in}-{n_hidden}-{n_out}", rtol=1e-9, atol=1e-12)


# -- Part 2: softmax, cross-entropy and the backward pass, with an oracle for each piece --------------------

def _softmax_oracle(f: np.ndarray) -> np.ndarray:
    return torch.softmax(_tensor(f), dim=1).numpy()


def _forward_oracle(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    f1 = torch.addmm(_tensor(b1), _tensor(x), _tensor(W1))
    f2 = torch.addmm(_tensor(b2), torch.sigmoid(f1), _tensor(W2))
    return f1.numpy(), torch.sigmoid(f1).numpy(), f2.numpy(), torch.softmax(f2, dim=1).numpy()


def _cross_entropy_oracle(o: np.ndarray, y: np.ndarray) -> float:
    labels = torch.from_numpy(np.argmax(np.asarray(y), axis=1))
    return F.nll_loss(torch.log(_tensor(o)), labels, reduction="sum").item()


def _grad_f2_oracle(o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Autograd of the summed cross-entropy at logits whose softmax is ``o`` (f2 = log o, rows of o summing to 1;
    the floor keeps log finite where a probability underflowed to 0)."""
    f2 = torch.log(_tensor(o).clamp_min(1e-300)).requires_grad_()
    F.cross_entropy(f2, _tensor(y), reduction="sum").backward()
    return f2.grad.numpy()


_PART2_ORACLES: dict[str, Fn] = {"softmax": _softmax_oracle, "forward": _forward_oracle,
                                 "cross_entropy": _cross_entropy_oracle, "grad_f2": _grad_f2_oracle}


def _earlier(task: str) -> dict[str, Fn]:
    """The oracles of the Part 2 tasks before ``task``."""
    names = list(_PART2_ORACLES)
    return {name: _PART2_ORACLES[name] for name in names[:names.index(task)]} if task in names else _PART2_ORACLES


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return F.one_hot(torch.from_numpy(labels), classes).double().numpy()


def grade_softmax(softmax: Fn) -> None:
    """softmax(f) against ``torch.softmax`` for logits of moderate size, around +1000 and -1000, large ones, and
    rows that spread from -1000 to 1000 and sit near +1000 and near -1000 in one batch (a shift by anything but
    each row's maximum overflows or underflows there)."""
    rng = np.random.default_rng(303)
    for shape, offset, scale in [((6, 4), 0.0, 3.0), ((3, 7), 1000.0, 2.0), ((5, 2), -1000.0, 4.0),
                                 ((1, 5), 0.0, 40.0)]:
        f = offset + scale * rng.normal(size=shape)
        expect_close(_call("softmax", softmax, {"f": f}), _softmax_oracle(f),
                     f"softmax(f) for f of shape {shape} around {offset:g}", rtol=1e-9, atol=1e-15)
    f = np.array([[-1000.0, 1000.0, 0.0], [1000.0, 999.0, -1000.0], [1001.0, 1000.0, 999.0],
                  [-999.0, -1000.0, -1001.0]])
    expect_close(_call("softmax", softmax, {"f": f}), _softmax_oracle(f),
                 "softmax(f) for rows from -1000 to 1000, and rows near +1000 and near -1000 in one batch",
                 rtol=1e-9, atol=1e-15, hint="subtract the largest logit of each row.")


def grade_forward(forward: Fn) -> None:
    """(f1, a, f2, o) against torch for three sizes; ``forward`` runs with a correct ``softmax``."""
    rng = np.random.default_rng(304)
    for B, N, M, K in [(4, 6, 5, 3), (1, 3, 8, 10), (9, 2, 3, 4)]:
        shapes = {"x": (B, N), "W1": (N, M), "b1": (M,), "W2": (M, K), "b2": (K,)}
        args = {name: rng.normal(size=shape) for name, shape in shapes.items()}
        got = _call("forward", forward, args, _earlier("forward"))
        if not isinstance(got, tuple) or len(got) != 4:
            raise CheckFailed("`forward` should return the tuple (f1, a, f2, o).")
        for name, mine, want in zip(("f1", "a", "f2", "o"), got, _forward_oracle(*args.values())):
            expect_close(mine, want, f"forward: {name} for B={B}, N={N}, M={M}, K={K}", rtol=1e-9, atol=1e-13)


def grade_cross_entropy(cross_entropy: Fn) -> None:
    """The summed cross-entropy against ``F.nll_loss(log o, labels, reduction="sum")``."""
    rng = np.random.default_rng(305)
    for B, K in [(5, 3), (1, 6), (12, 4)]:
        labels = rng.integers(0, K, size=B)
        o = _softmax_oracle(rng.normal(size=(B, K)) * 2)
        y = _one_hot(labels, K)
        expect_close(_call("cross_entropy", cross_entropy, {"o": o, "y": y}), _cross_entropy_oracle(o, y),
                     f"cross_entropy for B={B}, K={K}", rtol=1e-9)


def grade_grad_f2(grad_f2: Fn) -> None:
    """dE/df2 against autograd of ``F.cross_entropy`` for three batch and class sizes."""
    rng = np.random.default_rng(306)
    for B, K in [(6, 4), (1, 3), (3, 9)]:
        f2 = rng.normal(size=(B, K)) * 2
        o, y = _softmax_oracle(f2), _one_hot(rng.integers(0, K, size=B), K)
        expect_close(_call("grad_f2", grad_f2, {"o": o, "y": y}), _grad_f2_oracle(o, y),
                     f"grad_f2 for B={B}, K={K}", rtol=1e-8, atol=1e-12)


def _network(rng: np.random.Generator, B: int, N: int, M: int, K: int, scale: float
             ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Random arrays, one-hot labels and the gradients of the summed cross-entropy by autograd."""
    arrays = {"x": rng.normal(size=(B, N)), "W1": rng.normal(size=(N, M)), "b1": rng.normal(size=M),
              "W2": rng.normal(size=(M, K)) * scale, "b2": rng.normal(size=K)}
    labels = rng.integers(0, K, size=B)
    t = {k: _tensor(v, requires_grad=True) for k, v in arrays.items()}
    f2 = torch.sigmoid(t["x"] @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    F.cross_entropy(f2, torch.from_numpy(labels), reduction="sum").backward()
    return arrays, _one_hot(labels, K), {k: v.grad.numpy() for k, v in t.items()}


# part: (seed, gradients graded, cases (B, N, M, K, scale of W2), atol); the large scale gives logits in the
# hundreds: backward must keep every gradient finite there.
_BACKWARD_PARTS: dict[str, tuple[int, tuple[str, ...], list[tuple[int, int, int, int, float]], float]] = {
    "second_layer": (307, ("W2", "b2"), [(4, 6, 5, 3, 1.0), (1, 2, 7, 4, 1.0), (8, 3, 2, 5, 1.0)], 1e-12),
    "first_layer": (308, ("W1", "b1"), [(5, 4, 6, 3, 1.0), (1, 3, 2, 4, 1.0), (7, 2, 5, 6, 1.0)], 1e-12),
    "x": (309, ("x",), [(3, 5, 4, 6, 1.0), (1, 7, 3, 2, 1.0), (6, 4, 8, 5, 1.0), (4, 3, 5, 4, 300.0)], 1e-10),
}


def grade_backward(part: str, backward: Fn) -> None:
    """The gradients of one ``part`` of the network ("second_layer": W2, b2; "first_layer": W1, b1; "x") against
    autograd. ``backward`` runs with correct ``softmax``, ``forward``, ``cross_entropy`` and ``grad_f2``."""
    seed, keys, cases, atol = _BACKWARD_PARTS[part]
    rng = np.random.default_rng(seed)
    for B, N, M, K, scale in cases:
        arrays, y, want = _network(rng, B, N, M, K, scale)
        args = {"x": arrays["x"], "y": y, **{k: arrays[k] for k in ("W1", "b1", "W2", "b2")}}
        got = _call("backward", backward, args, _earlier("backward"))
        if not isinstance(got, dict) or any(key not in got for key in keys):
            raise CheckFailed(f"`backward` should return a dict with the keys {list(want)}, one gradient each.")
        for key in keys:
            expect_close(got[key], want[key], f"backward: dE/d{key} for B={B}, N={N}, M={M}, K={K}", rtol=1e-8,
                         atol=atol)


# -- Part 3: batch normalisation -----------------------------------------------------------------------------

def _bn_cache(x: np.ndarray, gamma: float, beta: float, eps: float = 1e-5) -> dict[str, Any]:
    """The cache of ``bn_forward``, by ``F.batch_norm``: the oracle of bn_forward and the cache of every case."""
    xt = _tensor(x)
    y = F.batch_norm(xt[:, None], None, None, _tensor([gamma]), _tensor([beta]), training=True, eps=eps)[:, 0]
    return {"x": xt.numpy().copy(), "mu": float(xt.mean()), "var": float(xt.var(unbiased=False)),
            "xhat": ((y - beta) / gamma).numpy(), "gamma": float(gamma), "beta": float(beta), "eps": eps,
            "y": y.numpy()}


def _bn_partial(term: str, dy: np.ndarray, cache: dict[str, Any]) -> np.ndarray | float:
    """df/d<term> (gamma, beta, xhat, var or mu) for f = sum_i dy_i y_i, by autograd on the notebook's graph
    x -> (mu, sigma^2) -> xhat -> y with ``term`` a leaf and the nodes it does not reach held fixed (sigma^2 follows
    mu): the oracle of each partial derivative."""
    node = {key: _tensor(cache[key]) for key in ("x", "mu", "var", "xhat", "gamma", "beta")}
    leaf = node[term] = _tensor(cache[term], requires_grad=True)
    if term == "mu":
        node["var"] = ((node["x"] - leaf) ** 2).mean()
    if term in ("mu", "var"):
        node["xhat"] = (node["x"] - node["mu"]) / torch.sqrt(node["var"] + cache["eps"])
    (_tensor(dy) * (node["gamma"] * node["xhat"] + node["beta"])).sum().backward()
    return leaf.grad.numpy() if leaf.grad.ndim else leaf.grad.item()


def _bn_cases(seed: int) -> Iterator[tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray | float]]]:
    """Four batches (m = 5, 8, 3, 11; eps from 1e-5 to 1): the cache, dy, and the gradients of f = sum_i dy_i y_i
    with respect to x, gamma and beta by autograd through ``F.batch_norm``."""
    rng = np.random.default_rng(seed)
    for m, eps in [(5, 1e-5), (8, 0.3), (3, 1.0), (11, 0.05)]:
        x = rng.normal(rng.uniform(-3, 3), rng.uniform(0.5, 3), size=m)
        gamma, beta, dy = rng.uniform(0.3, 2.5), rng.normal(), rng.normal(size=m)
        t = {"x": _tensor(x, True), "gamma": _tensor([gamma], True), "beta": _tensor([beta], True)}
        y = F.batch_norm(t["x"][:, None], None, None, t["gamma"], t["beta"], training=True, eps=eps)[:, 0]
        (_tensor(dy) * y).sum().backward()
        totals = {"x": t["x"].grad.numpy(), "gamma": t["gamma"].grad.item(), "beta": t["beta"].grad.item()}
        yield _bn_cache(x, gamma, beta, eps), dy, totals


def grade_bn_forward(bn_forward: Fn) -> None:
    """The cache against ``F.batch_norm`` (mu, sigma^2, xhat, y), and the inputs it keeps (x, gamma, beta, eps)."""
    for want, _, _ in _bn_cases(310):
        got = _call("bn_forward", bn_forward, {"x": want["x"], "gamma": want["gamma"], "beta": want["beta"],
                                                "eps": want["eps"]})
        where = f"m={len(want['x'])}, eps={want['eps']}"
        if not isinstance(got, dict) or set(want) - set(got):
            raise CheckFailed(f"`bn_forward` should return a dict with the keys {list(want)} ({where}).")
        for key in want:
            expect_close(got[key], want[key], f"bn_forward: cache['{key}'] for {where}", rtol=1e-9, atol=1e-12)


# term: (seed, rtol, atol); the seeds of the notebook's hidden tests before they moved here
_BN_TERMS: dict[str, tuple[int, float, float]] = {
    "gamma": (311, 1e-8, 1e-12), "beta": (312, 1e-8, 1e-12), "xhat": (313, 1e-8, 1e-12),
    "var": (314, 1e-7, 1e-10), "mu": (315, 1e-7, 1e-10), "x": (316, 1e-7, 1e-10),
}


def _bn_oracle(term: str) -> Fn:
    return lambda dy, cache: _bn_partial(term, dy, cache)


def grade_bn_grad(term: str, bn_grad: Fn) -> None:
    """``bn_grad_<term>(dy, cache)`` against autograd: through ``F.batch_norm`` for gamma, beta and x (the total
    derivative), on the notebook's graph with the other nodes held fixed for xhat, sigma^2 and mu. It runs with
    correct ``bn_forward`` and earlier gradients (gamma, beta, xhat, var, mu: those before ``term``)."""
    seed, rtol, atol = _BN_TERMS[term]
    earlier = list(_BN_TERMS)[:list(_BN_TERMS).index(term)]
    oracles = {"bn_forward": _bn_cache, **{f"bn_grad_{t}": _bn_oracle(t) for t in earlier}}
    for cache, dy, totals in _bn_cases(seed):
        want = totals[term] if term in totals else _bn_partial(term, dy, cache)
        got = _call(f"bn_grad_{term}", bn_grad, {"dy": dy, "cache": cache}, oracles)
        expect_close(got, want, f"bn_grad_{term}(dy, cache) for m={len(dy)}, eps={cache['eps']}", rtol=rtol,
                     atol=atol)
