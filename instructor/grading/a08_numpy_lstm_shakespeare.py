"""Hidden tests of notebook 08 (an LSTM in NumPy, trained on tiny Shakespeare).

The oracles are PyTorch: ``torch.nn.LSTMCell`` and ``torch.nn.LSTM`` given the student's weights
(``weight_ih = W[:D].T``, ``weight_hh = W[D:].T``, ``bias_ih = b``, ``bias_hh = 0``; torch's gate order is also
i, f, g, o), autograd for every gradient, ``cross_entropy``, ``clip_grad_norm_`` and ``softmax``. Inputs are
float64 copies with seeds of their own; a function that writes into its inputs is named.

Each task is graded alone: a function that calls an earlier task of the notebook by name (``lstm_forward`` calls
``lstm_step_forward``, ``model_loss`` calls the sequence functions and the loss, ``generate`` the step and
``next_char_probs``) runs with this module's reference of that task in its place (:func:`stand_in_for`), and a
backward pass reads a cache made by the reference forward pass in the notebook's prescribed layout.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import (
    CheckFailed,
    call_quietly,
    call_strictly,
    expect_close,
    expect_shape,
    expect_type,
    expect_unchanged,
    stand_in_for,
)
from instructor.grading import one_thread

Fn = Callable[..., Any]
# Validation loss (nats per character) -> points; the reference run reaches 1.55 (see the notebook).
BRACKETS = ((1.60, 4), (1.70, 3), (1.85, 2), (2.10, 1))
CACHE = ("x", "h_prev", "c_prev", "the gate i", "the gate f", "the gate g", "the gate o", "c", "W")  # the step's


# -- reference pieces (checked against PyTorch in tests/test_grading_08_numpy_lstm_shakespeare.py) -------------------

def ref_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def ref_step_forward(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = x @ W[: x.shape[1]] + h_prev @ W[x.shape[1] :] + b
    i, f, o = ref_sigmoid(z[:, :H]), ref_sigmoid(z[:, H : 2 * H]), ref_sigmoid(z[:, 3 * H :])
    g = np.tanh(z[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, (x, h_prev, c_prev, i, f, g, o, c, W)


def ref_step_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, W = cache
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc * tc)
    dz = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh * tc * o * (1 - o)])
    D = x.shape[1]
    return dz @ W[:D].T, dz @ W[D:].T, dc * f, np.vstack([x.T @ dz, h_prev.T @ dz]), dz.sum(0)


def ref_lstm_forward(X, h0, c0, W, b):
    h, c, Hs, caches = h0, c0, [], []
    for t in range(X.shape[0]):
        h, c, cache = ref_step_forward(X[t], h, c, W, b)
        Hs.append(h)
        caches.append(cache)
    return np.stack(Hs), (h, c), caches


def ref_lstm_backward(dHs, caches):
    dh, dc = np.zeros_like(dHs[0]), np.zeros_like(dHs[0])
    dX, dW, db = [], 0, 0
    for t in range(len(caches) - 1, -1, -1):
        dx, dh, dc, dW_t, db_t = ref_step_backward(dh + dHs[t], dc, caches[t])
        dX.insert(0, dx)
        dW, db = dW + dW_t, db + db_t
    return np.stack(dX), dh, dc, dW, db


def ref_softmax_cross_entropy(logits, targets):
    t = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    loss = F.cross_entropy(t, torch.as_tensor(np.asarray(targets), dtype=torch.long))
    loss.backward()
    return float(loss.detach()), t.grad.numpy().astype(np.asarray(logits).dtype)


def ref_next_char_probs(logits, temperature):
    return torch.softmax(torch.tensor(np.asarray(logits, dtype=np.float64)) / temperature, 0).numpy()


REFERENCES = {"sigmoid": ref_sigmoid, "lstm_step_forward": ref_step_forward, "lstm_step_backward": ref_step_backward,
              "lstm_forward": ref_lstm_forward, "lstm_backward": ref_lstm_backward,
              "softmax_cross_entropy": ref_softmax_cross_entropy, "next_char_probs": ref_next_char_probs}


@contextlib.contextmanager
def with_references(fn: Fn, *names: str) -> Iterator[None]:
    """Inside the block, ``fn`` finds this module's reference under each of ``names`` (the earlier tasks)."""
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(stand_in_for(fn, name, REFERENCES[name]))
        yield


# -- the oracles -----------------------------------------------------------------------------------------------------

def _t(a: Any, grad: bool = False, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad, dtype=dtype)


def _autograd_lstm(X, h0, c0, W, b, dHs=None, dhT=None, dcT=None) -> list[np.ndarray]:
    """Gradients [dX, dh0, dc0, dW, db] of sum(dHs * Hs) + sum(dhT * h_T) + sum(dcT * c_T) by autograd through
    torch.nn.LSTM holding W and b; X: (T, B, D)."""
    lstm = _lstm_module(W, b)
    X, h0, c0 = _t(X, grad=True), _t(h0, grad=True), _t(c0, grad=True)
    out, (hT, cT) = lstm(X, (h0[None], c0[None]))
    total = (out * _t(dHs)).sum() if dHs is not None else torch.zeros((), dtype=torch.float64)
    for value, weight in ((hT[0], dhT), (cT[0], dcT)):
        if weight is not None:
            total = total + (value * _t(weight)).sum()
    total.backward()
    dW = torch.cat([lstm.weight_ih_l0.grad.T, lstm.weight_hh_l0.grad.T]).numpy()
    return [X.grad.numpy(), h0.grad.numpy(), c0.grad.numpy(), dW, lstm.bias_ih_l0.grad.numpy()]


def _lstm_module(W: np.ndarray, b: np.ndarray, dtype: torch.dtype = torch.float64) -> torch.nn.LSTM:
    D, H = W.shape[0] - W.shape[1] // 4, W.shape[1] // 4
    lstm = torch.nn.LSTM(D, H).to(dtype)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(_t(W[:D].T, dtype=dtype))
        lstm.weight_hh_l0.copy_(_t(W[D:].T, dtype=dtype))
        lstm.bias_ih_l0.copy_(_t(b, dtype=dtype))
        lstm.bias_hh_l0.zero_()
    return lstm


def _tuple(out: Any, n: int, task: str, what: str) -> tuple:
    if not (isinstance(out, tuple | list) and len(out) == n):
        raise CheckFailed(f"{task} should return {what}.")
    return tuple(out)


def _inputs(seed: int, T: int = 0, B: int = 3, D: int = 5, H: int = 4, scale: float = 0.8):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, D) if T else (B, D))
    return (x, rng.standard_normal((B, H)), rng.standard_normal((B, H)), scale * rng.standard_normal((D + H, 4 * H)),
            scale * rng.standard_normal(4 * H))


# -- graded tasks ----------------------------------------------------------------------------------------------------

@one_thread
def grade_sigmoid(sigmoid: Fn) -> None:
    """torch.sigmoid on 200 points of [-30, 30] (seed 801), on 0 and on +-1e4 without a warning, and on float32."""
    x = np.concatenate([np.random.default_rng(801).uniform(-30, 30, 200), [0.0, -1e4, 1e4, -745.0, 710.0]])
    kept = x.copy()
    y = np.asarray(call_strictly(sigmoid, x, task="sigmoid", hint="never take the exp of a large positive number"))
    expect_unchanged("sigmoid", {"x": kept}, {"x": x})
    expect_close(y, torch.sigmoid(_t(x)).numpy(), "sigmoid(x)", rtol=1e-9, atol=1e-12)
    if y[200] != 0.5:
        raise CheckFailed(f"sigmoid(0) is {y[200]!r}, not 0.5.")
    x32 = np.random.default_rng(802).uniform(-5, 5, (3, 4)).astype(np.float32)  # float64 back is slower, not wrong
    expect_close(call_quietly(sigmoid, x32), torch.sigmoid(_t(x32)).numpy(), "sigmoid of float32 numbers", rtol=1e-6)


@one_thread
def grade_lstm_step_forward(step: Fn) -> None:
    """Against torch.nn.LSTMCell: a batch of 3 with D = 5, H = 4 (seed 803) and large weights (seed 804), the
    new state, and every entry of the cache (x, h_prev, c_prev, i, f, g, o, c, W) in its place."""
    task = "lstm_step_forward"
    for seed, scale in ((803, 0.8), (804, 3.0)):
        x, h_prev, c_prev, W, b = _inputs(seed, scale=scale)
        kept = {"x": x.copy(), "h_prev": h_prev.copy(), "c_prev": c_prev.copy(), "W": W.copy(), "b": b.copy()}
        with with_references(step, "sigmoid"):
            h, c, cache = _tuple(call_quietly(step, x, h_prev, c_prev, W, b), 3, task, "h, c, cache")
        expect_unchanged(task, kept, {"x": x, "h_prev": h_prev, "c_prev": c_prev, "W": W, "b": b})
        cell = torch.nn.LSTMCell(5, 4).double()
        lstm = _lstm_module(W, b)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(lstm, f"{name}_l0"))
            h_ref, c_ref = cell(_t(x), (_t(h_prev), _t(c_prev)))
        expect_close(expect_shape(h, (3, 4), "h"), h_ref.numpy(), f"{task}: h", rtol=1e-7, atol=1e-9)
        expect_close(expect_shape(c, (3, 4), "c"), c_ref.numpy(), f"{task}: c", rtol=1e-7, atol=1e-9)
        expect_type(cache, tuple | list, f"{task}: cache")
        if len(cache) != 9:
            raise CheckFailed(f"{task}: the cache should be (x, h_prev, c_prev, i, f, g, o, c, W)")
        wanted = ref_step_forward(x, h_prev, c_prev, W, b)[2]
        for index, (name, value, want) in enumerate(zip(CACHE, cache, wanted)):
            expect_close(value, want, f"{task}: cache entry {index}, {name}", rtol=1e-7, atol=1e-9)


def _step_backward_oracle(x, h_prev, c_prev, W, b, dh, dc):
    grads = _autograd_lstm(x[None], h_prev, c_prev, W, b, dhT=dh, dcT=dc)
    return [grads[0][0], *grads[1:]]


@one_thread
def grade_lstm_step_backward(step_backward: Fn) -> None:
    """Against autograd through one step of torch's LSTM (seeds 805, 806; the second with saturated gates), with
    the cache of the reference forward pass; zero incoming gradients give zero gradients."""
    task = "lstm_step_backward"
    names = ("dx", "dh_prev", "dc_prev", "dW", "db")
    for seed, scale in ((805, 0.8), (806, 3.0)):
        x, h_prev, c_prev, W, b = _inputs(seed, scale=scale)
        rng = np.random.default_rng(seed + 100)
        dh, dc = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
        _, _, cache = ref_step_forward(x, h_prev, c_prev, W, b)
        kept = {"dh": dh.copy(), "dc": dc.copy(), "c in the cache": cache[7].copy()}
        with with_references(step_backward, "sigmoid"):
            out = _tuple(call_quietly(step_backward, dh, dc, cache), 5, task, "dx, dh_prev, dc_prev, dW, db")
        expect_unchanged(task, kept, {"dh": dh, "dc": dc, "c in the cache": cache[7]})
        for name, got, want in zip(names, out, _step_backward_oracle(x, h_prev, c_prev, W, b, dh, dc)):
            expect_close(expect_shape(got, want.shape, f"{task}: {name}"), want, f"{task}: {name}",
                         rtol=1e-7, atol=1e-9)
    zeros = np.zeros((3, 4))
    for name, got in zip(names, call_quietly(step_backward, zeros, zeros, cache)):
        expect_close(got, np.zeros_like(np.asarray(got, dtype=float)), f"{task}: {name} when dh = dc = 0", atol=0.0)


@one_thread
def grade_lstm_forward(lstm_forward: Fn) -> None:
    """Against torch.nn.LSTM over T = 6 (seed 807) and T = 1 (seed 808), with the reference step."""
    task = "lstm_forward"
    for seed, T in ((807, 6), (808, 1)):
        X, h0, c0, W, b = _inputs(seed, T=T)
        kept = {"X": X.copy(), "h0": h0.copy(), "c0": c0.copy()}
        with with_references(lstm_forward, "sigmoid", "lstm_step_forward"):
            Hs, state, caches = _tuple(call_quietly(lstm_forward, X, h0, c0, W, b), 3, task, "Hs, (h_T, c_T), caches")
        expect_unchanged(task, kept, {"X": X, "h0": h0, "c0": c0})
        hT, cT = _tuple(state, 2, task, "the final state as a pair (h_T, c_T)")
        with torch.no_grad():
            out, (h_ref, c_ref) = _lstm_module(W, b)(_t(X), (_t(h0)[None], _t(c0)[None]))
        expect_close(expect_shape(Hs, (T, 3, 4), f"{task}: Hs"), out.numpy(), f"{task}: Hs", rtol=1e-7, atol=1e-9)
        expect_close(hT, h_ref[0].numpy(), f"{task}: h_T", rtol=1e-7, atol=1e-9)
        expect_close(cT, c_ref[0].numpy(), f"{task}: c_T", rtol=1e-7, atol=1e-9)
        if len(caches) != T:
            raise CheckFailed(f"{task}: caches should hold T = {T} step caches, not {len(caches)}")


@one_thread
def grade_lstm_backward(lstm_backward: Fn) -> None:
    """Against autograd through torch's LSTM over T = 7 (seed 809) and T = 1 (seed 810), back to h0 and c0, with
    the reference step backward and the caches of the reference forward pass."""
    task = "lstm_backward"
    names = ("dX", "dh0", "dc0", "dW", "db")
    for seed, T in ((809, 7), (810, 1)):
        X, h0, c0, W, b = _inputs(seed, T=T)
        dHs = np.random.default_rng(seed + 100).standard_normal((T, 3, 4))
        _, _, caches = ref_lstm_forward(X, h0, c0, W, b)
        kept = {"dHs": dHs.copy()}
        with with_references(lstm_backward, "sigmoid", "lstm_step_backward"):
            out = _tuple(call_quietly(lstm_backward, dHs, caches), 5, task, "dX, dh0, dc0, dW, db")
        expect_unchanged(task, kept, {"dHs": dHs})
        for name, got, want in zip(names, out, _autograd_lstm(X, h0, c0, W, b, dHs=dHs)):
            expect_close(expect_shape(got, want.shape, f"{task}: {name}"), want, f"{task}: {name}",
                         rtol=1e-7, atol=1e-9)


@one_thread
def grade_softmax_cross_entropy(softmax_cross_entropy: Fn) -> None:
    """Against torch's cross_entropy and its gradient: random scores (seed 811), scores of +-1e4, one row."""
    task = "softmax_cross_entropy"
    rng = np.random.default_rng(811)
    cases = [(rng.standard_normal((7, 6)) * 3, rng.integers(0, 6, 7)),
             (np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]]), np.array([1, 2])),
             (rng.standard_normal((1, 4)), np.array([3]))]
    for logits, targets in cases:
        kept = {"logits": logits.copy(), "targets": targets.copy()}
        loss, dlogits = _tuple(call_quietly(softmax_cross_entropy, logits, targets), 2, task, "loss, dlogits")
        expect_unchanged(task, kept, {"logits": logits, "targets": targets})
        want_loss, want_grad = ref_softmax_cross_entropy(logits, targets)
        expect_close(float(loss), want_loss, f"{task}: the loss", rtol=1e-9)
        expect_close(expect_shape(dlogits, logits.shape, f"{task}: dlogits"), want_grad, f"{task}: dlogits",
                     rtol=1e-7, atol=1e-12)


def _model_inputs(seed: int, V: int = 6, D: int = 3, H: int = 4, T: int = 5, B: int = 2):
    rng = np.random.default_rng(seed)
    params = {"E": rng.standard_normal((V, D)), "W": 0.7 * rng.standard_normal((D + H, 4 * H)),
              "b": 0.5 * rng.standard_normal(4 * H), "Wy": rng.standard_normal((H, V)), "by": rng.standard_normal(V)}
    inputs = rng.integers(0, V, (T, B))
    inputs[0, :] = inputs[2, 1] = 1  # one character at several places: its embedding gradients add up
    return params, inputs, rng.integers(0, V, (T, B)), rng.standard_normal((B, H)), rng.standard_normal((B, H))


@one_thread
def grade_model_loss(model_loss: Fn) -> None:
    """Against embedding + torch's LSTM + linear + cross_entropy and autograd (seed 812), with the references of
    the LSTM, the loss and the sigmoid; a repeated character; the carried state is a constant."""
    task = "model_loss"
    params, inputs, targets, h0, c0 = _model_inputs(812)
    kept = {**{k: v.copy() for k, v in params.items()}, "inputs": inputs.copy(), "h0": h0.copy(), "c0": c0.copy()}
    with with_references(model_loss, "sigmoid", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
                         "lstm_backward", "softmax_cross_entropy"):
        loss, grads, state = _tuple(call_quietly(model_loss, params, inputs, targets, h0, c0), 3, task,
                                    "loss, grads, (h_T, c_T)")
    expect_unchanged(task, kept, {**params, "inputs": inputs, "h0": h0, "c0": c0})
    tp = {k: _t(v, grad=True) for k, v in params.items() if k in ("E", "Wy", "by")}
    lstm = _lstm_module(params["W"], params["b"])
    T, B = inputs.shape
    Hs, (hT, cT) = lstm(tp["E"][torch.as_tensor(inputs)], (_t(h0)[None], _t(c0)[None]))
    want = F.cross_entropy(Hs.reshape(T * B, -1) @ tp["Wy"] + tp["by"], torch.as_tensor(targets.reshape(-1)))
    want.backward()
    oracle = {k: t.grad.numpy() for k, t in tp.items() if k != "W"}
    oracle["W"] = torch.cat([lstm.weight_ih_l0.grad.T, lstm.weight_hh_l0.grad.T]).numpy()
    oracle["b"] = lstm.bias_ih_l0.grad.numpy()
    expect_close(float(loss), float(want.detach()), f"{task}: the loss", rtol=1e-9)
    expect_type(grads, dict, f"{task}: grads")
    for name in ("E", "W", "b", "Wy", "by"):
        if name not in grads:
            raise CheckFailed(f"{task}: grads has no '{name}'")
        want = oracle[name]
        expect_close(expect_shape(grads[name], want.shape, f"{task}: grads['{name}']"), want,
                     f"{task}: grads['{name}']", rtol=1e-7, atol=1e-9)
    got_h, got_c = _tuple(state, 2, task, "the final state as a pair (h_T, c_T)")
    expect_close(got_h, hT[0].detach().numpy(), f"{task}: h_T", rtol=1e-7, atol=1e-9)
    expect_close(got_c, cT[0].detach().numpy(), f"{task}: c_T", rtol=1e-7, atol=1e-9)


@one_thread
def grade_clip_by_global_norm(clip: Fn) -> None:
    """Against clip_grad_norm_ for norms above max_norm (seed 813); unchanged at exactly max_norm, below it and
    for all-zero gradients; the input dict and arrays untouched."""
    task = "clip_by_global_norm"
    rng = np.random.default_rng(813)
    grads = {"W": rng.standard_normal((4, 3)) * 2, "b": rng.standard_normal(3), "E": rng.standard_normal((2, 2))}
    norm = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
    for max_norm in (1.0, norm / 3):
        kept = {k: v.copy() for k, v in grads.items()}
        clipped, got_norm = _tuple(call_quietly(clip, grads, max_norm), 2, task, "(clipped, norm)")
        expect_unchanged(task, kept, grads)
        params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads.values()]
        for p, g in zip(params, grads.values()):
            p.grad = _t(g)
        torch.nn.utils.clip_grad_norm_(params, max_norm)
        expect_close(float(got_norm), norm, f"{task}: the norm before clipping", rtol=1e-9)
        for name, p in zip(grads, params):
            expect_close(clipped[name], p.grad.numpy(), f"{task}: clipped['{name}'] (max_norm {max_norm:.3g})",
                         rtol=1e-5)
    for max_norm in (norm, 2 * norm):
        clipped, _ = call_quietly(clip, grads, max_norm)
        for name, g in grads.items():
            expect_close(clipped[name], g, f"{task}: clipped['{name}'] when the norm is not above max_norm",
                         rtol=1e-5)
    zeros = {"a": np.zeros(3), "b": np.zeros((2, 2))}
    clipped, _ = call_strictly(clip, zeros, 1.0, task=task, hint="all-zero gradients: scale only when the norm is "
                               "too large")
    expect_close(clipped["a"], np.zeros(3), f"{task}: zero gradients stay zero", atol=0.0)


@one_thread
def grade_next_char_probs(next_char_probs: Fn) -> None:
    """Against torch's softmax of logits / temperature at 0.5, 1 and 2 (seed 814), for scores of 1e4, and at
    temperature 1e-3 for scores 1e-3 apart (s / tau is large: a softmax taken before the temperature underflows)."""
    task = "next_char_probs"
    logits = np.random.default_rng(814).standard_normal(9) * 3
    for temperature in (0.5, 1.0, 2.0):
        kept = logits.copy()
        probs = call_quietly(next_char_probs, logits, temperature)
        expect_unchanged(task, {"logits": kept}, {"logits": logits})
        expect_close(expect_shape(probs, (9,), task), ref_next_char_probs(logits, temperature),
                     f"{task}: temperature {temperature}", rtol=1e-6, atol=1e-12)
    big = np.array([1e4, 0.0, 1e4 - 1.0])
    probs = call_strictly(next_char_probs, big, 1.0, task=task, hint="scores of 1e4: subtract the largest score")
    expect_close(probs, ref_next_char_probs(big, 1.0), f"{task}: scores of 1e4", rtol=1e-6, atol=1e-12)
    close = np.array([1.0, 0.999, 0.2, 1.001, -3.0])
    probs = call_strictly(next_char_probs, close, 1e-3, task=task, hint="temperature 1e-3: scale the scores first, "
                          "then take a stable softmax")
    expect_close(probs, ref_next_char_probs(close, 1e-3), f"{task}: temperature 1e-3", rtol=1e-6, atol=1e-12)


def _ref_generate(params, prompt, n, temperature, rng):
    h = np.zeros((1, params["Wy"].shape[0]))
    c = np.zeros_like(h)
    for index in prompt:
        h, c, _ = ref_step_forward(params["E"][[index]], h, c, params["W"], params["b"])
    written = []
    for _ in range(n):
        probs = ref_next_char_probs((h @ params["Wy"] + params["by"])[0], temperature)
        written.append(int(rng.choice(len(probs), p=probs)))
        h, c, _ = ref_step_forward(params["E"][[written[-1]]], h, c, params["W"], params["b"])
    return written


@one_thread
def grade_generate(generate: Fn) -> None:
    """The reference's text for the same generator (seed 815): prompts of three characters and of one, at
    temperatures 1 and 0.7; n = 0 writes nothing. With the references of the step and of next_char_probs."""
    task = "generate"
    params, *_ = _model_inputs(815, V=7, D=3, H=5)
    for prompt, temperature in (([2, 0, 5], 1.0), ([4], 0.7)):
        with with_references(generate, "sigmoid", "lstm_step_forward", "next_char_probs"):
            got = call_quietly(generate, params, list(prompt), 25, temperature, np.random.default_rng(816))
        want = _ref_generate(params, prompt, 25, temperature, np.random.default_rng(816))
        if [int(i) for i in got] != want:
            raise CheckFailed(f"{task}: for the prompt {prompt} at temperature {temperature} the text differs from "
                              "the expected one (warm the state up on every prompt character; draw each character "
                              "with one rng.choice(V, p=probs))")
    with with_references(generate, "sigmoid", "lstm_step_forward", "next_char_probs"):
        if list(call_quietly(generate, params, [1], 0, 1.0, np.random.default_rng(0))) != []:
            raise CheckFailed(f"{task}: n = 0 should write nothing")


# -- performance -------------------------------------------------------------------------------------------------

@one_thread
def validation_loss(params: dict[str, np.ndarray], val_ids: np.ndarray, batch_size: int = 64,
                    seq_len: int = 250, dtype: torch.dtype = torch.float32) -> float:
    """Mean cross-entropy (nats per character) of the handed-in parameters on ``val_ids``, computed with
    torch.nn.LSTM (not the student's code), as the notebook's evaluation does it: B streams, state carried.

    In float32 by default, as the model was trained: three times faster than float64 on one thread (0.9 s against
    2.7 s for the reference on the 111 540 validation characters), and 4e-8 nats away from it; the sum over chunks
    is a Python float."""
    from helpers.shakespeare import validation_chunks

    lstm = _lstm_module(params["W"], params["b"], dtype)
    E, Wy, by = (_t(params[k], dtype=dtype) for k in ("E", "Wy", "by"))
    H = Wy.shape[0]
    state = (torch.zeros(1, batch_size, H, dtype=dtype), torch.zeros(1, batch_size, H, dtype=dtype))
    total, count = 0.0, 0
    with torch.no_grad():
        for inputs, targets in validation_chunks(val_ids, batch_size, seq_len):
            out, state = lstm(E[torch.as_tensor(inputs)], state)
            logits = out.reshape(-1, H) @ Wy + by
            total += float(F.cross_entropy(logits, torch.as_tensor(targets.reshape(-1)), reduction="sum"))
            count += targets.size
    return total / count


def grade_performance(params: dict[str, np.ndarray], val_ids: np.ndarray, origin: str = "real") -> int:
    """The points of the model by its validation loss on ``val_ids`` (``origin``: "real" or "stand-in"), in the
    brackets of :data:`BRACKETS`."""
    loss = validation_loss(params, val_ids)
    if not math.isfinite(loss):
        raise CheckFailed(f"the validation loss is {loss}: the weights hold NaN or infinity")
    points = next((p for limit, p in BRACKETS if loss <= limit), 0)
    print(f"graded: validation loss {loss:.4f} nats ({loss / math.log(2):.3f} bits) per character on {len(val_ids)} "
          f"{origin} validation characters, computed with torch.nn.LSTM -> {points} of {BRACKETS[0][1]} points")
    return points
