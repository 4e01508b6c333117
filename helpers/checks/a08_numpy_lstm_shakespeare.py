"""Public checks for notebook 08 (an LSTM in NumPy, trained on tiny Shakespeare).

They test properties every correct answer has: shapes, gates that are switched fully on or off by huge biases
(so the order i, f, g, o shows), one step of the sequence equal to one call of the step, and every backward pass
against centred differences of *your own* forward pass (relative error below 1e-6, the seed's threshold). The
values the grader compares with PyTorch are not here.

Layout (as in the notebook): W has shape (D + H, 4H); its first D rows multiply x_t, the last H rows h_{t-1};
its columns are the gates i, f, g, o, H each. The step's cache is (x, h_prev, c_prev, i, f, g, o, c, W).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from helpers.checks import (
    CheckFailed,
    call_quietly,
    call_strictly,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    expect_unchanged,
    passed,
)
from helpers.checks.gradcheck import check_gradient, numerical_gradient

Fn = Callable[..., Any]
GRAD_THRESHOLD = 1e-6  # the seed's: below it, a backward pass is probably right


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _step_inputs(B: int = 2, D: int = 3, H: int = 4, seed: int = 0, scale: float = 0.5):
    rng = _rng(seed)
    return (rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
            scale * rng.standard_normal((D + H, 4 * H)), scale * rng.standard_normal(4 * H))


def _failing(fn: Fn, names: tuple[str, ...]) -> list[str]:
    """Which of the earlier tasks ``names`` (as ``fn`` finds them in the notebook) fail their own public checks.

    A check of one task that runs another of your functions (a gradient check runs your forward pass) can only
    judge its task when the other one is right; otherwise it says so and leaves the judgement to the grader.
    """
    namespace = getattr(fn, "__globals__", {})
    runs = {
        "sigmoid": lambda g: check_sigmoid(g["sigmoid"]),
        "lstm_step_forward": lambda g: check_lstm_step_forward(g["lstm_step_forward"]),
        "lstm_step_backward": lambda g: check_lstm_step_backward(g["lstm_step_forward"], g["lstm_step_backward"]),
        "lstm_forward": lambda g: check_lstm_forward(g["lstm_forward"], g["lstm_step_forward"]),
        "lstm_backward": lambda g: check_lstm_backward(g["lstm_forward"], g["lstm_backward"]),
        "softmax_cross_entropy": lambda g: check_softmax_cross_entropy(g["softmax_cross_entropy"]),
        "next_char_probs": lambda g: check_next_char_probs(g["next_char_probs"]),
    }
    failing = []
    for name in names:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                runs[name](namespace)
        except KeyError:  # not defined in the notebook (a function tried alone): nothing to judge
            continue
        except Exception:  # noqa: BLE001 - a failing or unfinished task
            failing.append(name)
    return failing


def _skip_unless_ready(fn: Fn, task: str, names: tuple[str, ...]) -> bool:
    """True (after one ``[skipped]`` line) when an earlier task that ``task``'s check relies on fails its check."""
    failing = _failing(fn, names)
    if failing:
        print(f"[skipped] the rest of the check of {task} runs your {', '.join(failing)}, whose own check fails: "
              f"fix {'it' if len(failing) == 1 else 'them'} first. (The grader tests {task} with correct versions "
              "of the others.)")
    return bool(failing)


@contextlib.contextmanager
def _judged_alone(fn: Fn, task: str, names: tuple[str, ...]) -> Iterator[None]:
    """Run the part of ``task``'s check that also runs your earlier tasks ``names``; when it fails and one of those
    fails its own check, say so in one ``[skipped]`` line instead (that mistake is reported where it is)."""
    try:
        yield
    except Exception:
        if not _skip_unless_ready(fn, task, names):
            raise


# -- sigmoid ---------------------------------------------------------------------------------------------------------

def check_sigmoid(sigmoid: Fn) -> None:
    expect_callable(sigmoid, "sigmoid")
    x = np.linspace(-6, 6, 13)
    kept = x.copy()
    y = expect_shape(call_quietly(sigmoid, x), (13,), "sigmoid(x)")
    expect_unchanged("sigmoid", {"x": kept}, {"x": x})
    expect_close(y, 1 / (1 + np.exp(-x)), "sigmoid(x) for x in [-6, 6]", atol=1e-12)
    passed("sigmoid: values on [-6, 6]")
    expect_close(call_quietly(sigmoid, np.zeros(3)), np.full(3, 0.5), "sigmoid(0)", atol=0.0, rtol=0.0)
    big = np.array([-1000.0, -100.0, 100.0, 1000.0])
    y = np.asarray(call_strictly(sigmoid, big, task="sigmoid", hint="1 / (1 + exp(-x)) computes exp(1000) for "
                                 "x = -1000: never take the exp of a large positive number (np.where computes both "
                                 "of its branches)."))
    expect_close(y, [0.0, 0.0, 1.0, 1.0], "sigmoid at x = -1000, -100, 100, 1000", atol=1e-30)
    passed("sigmoid: no overflow at |x| = 1000, exactly 0.5 at 0")
    x32 = np.array([[-3.0, 0.5]], dtype=np.float32)
    y32 = np.asarray(call_quietly(sigmoid, x32))
    expect_close(y32, 1 / (1 + np.exp(-x32.astype(np.float64))), "sigmoid of a float32 array of shape (1, 2)",
                 rtol=1e-6)
    if y32.dtype != np.float32:
        print(f"[note] sigmoid turns float32 into {y32.dtype}: correct, but training then runs in {y32.dtype}, "
              "about twice as slowly.")
        return
    passed("sigmoid: keeps float32 and the shape")


# -- one step --------------------------------------------------------------------------------------------------------

def _call_step(step: Fn, *args):
    out = call_quietly(step, *args)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise CheckFailed("lstm_step_forward should return three things: h, c, cache.")
    return out


def check_lstm_step_forward(step: Fn) -> None:
    expect_callable(step, "lstm_step_forward")
    x, h_prev, c_prev, W, b = _step_inputs()
    kept = {"x": x.copy(), "h_prev": h_prev.copy(), "c_prev": c_prev.copy(), "W": W.copy(), "b": b.copy()}
    h, c, cache = _call_step(step, x, h_prev, c_prev, W, b)
    expect_unchanged("lstm_step_forward", kept, {"x": x, "h_prev": h_prev, "c_prev": c_prev, "W": W, "b": b})
    expect_shape(h, (2, 4), "h")
    expect_shape(c, (2, 4), "c")
    expect_type(cache, tuple | list, "cache")
    if len(cache) != 9:
        raise CheckFailed(f"the cache should be (x, h_prev, c_prev, i, f, g, o, c, W), 9 entries; it has {len(cache)}.")
    for name, value in zip(("i", "f", "g", "o"), cache[3:7]):
        expect_shape(value, (2, 4), f"cache entry {name}")
    for index, name, value in ((0, "x", x), (1, "h_prev", h_prev), (2, "c_prev", c_prev), (7, "c", c), (8, "W", W)):
        expect_close(cache[index], value, f"cache entry {index}, {name} (the layout is (x, h_prev, c_prev, i, f, g, o, "
                     "c, W): the backward pass reads it)")
    passed("lstm_step_forward: shapes of h (B, H), c (B, H) and the 9 cache entries in their places")
    if _skip_unless_ready(step, "lstm_step_forward", ("sigmoid",)):
        return

    zero_W, zero_b = np.zeros_like(W), np.zeros_like(b)  # every gate at sigmoid(0) = 0.5, g = tanh(0) = 0
    h, c, _ = _call_step(step, x, h_prev, c_prev, zero_W, zero_b)
    expect_close(c, 0.5 * c_prev, "c with W = 0 and b = 0 (f = 0.5, i * g = 0)")
    expect_close(h, 0.5 * np.tanh(0.5 * c_prev), "h with W = 0 and b = 0 (o = 0.5)")
    H = 4
    forced = np.concatenate([np.full(H, 50.0), np.full(H, -50.0), np.full(H, 50.0), np.zeros(H)])
    h, c, cache = _call_step(step, x, h_prev, c_prev, zero_W, forced)  # i = 1, f = 0, g = 1, o = 0.5
    expect_close(c, np.ones((2, H)), "c with the biases forcing i = 1, f = 0, g = 1 (gate order i, f, g, o)",
                 atol=1e-9)
    for name, value, want in zip("ifgo", cache[3:7], (1.0, 0.0, 1.0, 0.5)):
        expect_close(value, np.full((2, H), want), f"the gate {name} in the cache when the biases force it to {want} "
                     "(the cache holds the gates after their sigmoid or tanh)", atol=1e-9)
    expect_close(h, np.full((2, H), 0.5 * np.tanh(1.0)), "h with o = 0.5 and c = 1", atol=1e-9)
    forced = np.concatenate([np.zeros(H), np.full(H, 50.0), np.full(H, -50.0), np.full(H, 50.0)])
    h, c, _ = _call_step(step, x, h_prev, c_prev, zero_W, forced)  # i = 0.5, f = 1, g = -1, o = 1
    expect_close(c, c_prev - 0.5, "c with the biases forcing i = 0.5, f = 1, g = -1", atol=1e-9)
    expect_close(h, np.tanh(c_prev - 0.5), "h with o = 1", atol=1e-9)
    passed("lstm_step_forward: gates in the order i, f, g, o; c = f c_prev + i g; h = o tanh(c)")


def made_up_cache(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W: np.ndarray, seed: int = 10) -> tuple:
    """A cache in the prescribed layout with random gates (not a real forward pass): for checking shapes only."""
    rng = _rng(seed)
    gates = [rng.uniform(0.1, 0.9, h_prev.shape) for _ in range(4)]
    gates[2] = 2 * gates[2] - 1  # g is a tanh
    return (x, h_prev, c_prev, *gates, rng.standard_normal(h_prev.shape), W)


def check_lstm_step_backward(step_forward: Fn, step_backward: Fn) -> None:
    expect_callable(step_backward, "lstm_step_backward")
    x, h_prev, c_prev, W, b = _step_inputs(seed=1)
    rng = _rng(2)
    dh, dc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    call_quietly(step_backward, dh, dc, made_up_cache(x, h_prev, c_prev, W))  # this task first, then the forward
    if _skip_unless_ready(step_backward, "lstm_step_backward", ("sigmoid", "lstm_step_forward")):
        return
    with _judged_alone(step_backward, "lstm_step_backward", ("sigmoid", "lstm_step_forward")):
        _step_backward_against_differences(step_forward, step_backward, x, h_prev, c_prev, W, b, dh, dc)


def _step_backward_against_differences(step_forward: Fn, step_backward: Fn, x, h_prev, c_prev, W, b, dh, dc) -> None:
    _, _, cache = _call_step(step_forward, x, h_prev, c_prev, W, b)
    kept = {"dh": dh.copy(), "dc": dc.copy()}
    out = call_quietly(step_backward, dh, dc, cache)
    if not (isinstance(out, tuple) and len(out) == 5):
        raise CheckFailed("lstm_step_backward should return five things: dx, dh_prev, dc_prev, dW, db.")
    expect_unchanged("lstm_step_backward", kept, {"dh": dh, "dc": dc})
    dx, dh_prev, dc_prev, dW, db = out
    for name, value, shape in (("dx", dx, x.shape), ("dh_prev", dh_prev, h_prev.shape),
                               ("dc_prev", dc_prev, c_prev.shape), ("dW", dW, W.shape), ("db", db, b.shape)):
        expect_shape(value, shape, name)

    def scalar(x=x, h_prev=h_prev, c_prev=c_prev, W=W, b=b):
        h, c, _ = step_forward(x, h_prev, c_prev, W, b)
        return np.sum(dh * h) + np.sum(dc * c)

    numeric = {"x": numerical_gradient(lambda v: scalar(x=v), x),
               "h_prev": numerical_gradient(lambda v: scalar(h_prev=v), h_prev),
               "c_prev": numerical_gradient(lambda v: scalar(c_prev=v), c_prev),
               "W": numerical_gradient(lambda v: scalar(W=v), W),
               "b": numerical_gradient(lambda v: scalar(b=v), b)}
    for name, analytic in zip(("x", "h_prev", "c_prev", "W", "b"), out):
        check_gradient(analytic, numeric[name], f"lstm_step_backward: d{name}", GRAD_THRESHOLD)


# -- the sequence ----------------------------------------------------------------------------------------------------

def _seq_inputs(T: int = 4, B: int = 2, D: int = 3, H: int = 4, seed: int = 3):
    rng = _rng(seed)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
            0.5 * rng.standard_normal((D + H, 4 * H)), 0.5 * rng.standard_normal(4 * H))


def _call_forward(lstm_forward: Fn, *args):
    out = call_quietly(lstm_forward, *args)
    if not (isinstance(out, tuple) and len(out) == 3 and isinstance(out[1], tuple) and len(out[1]) == 2):
        raise CheckFailed("lstm_forward should return Hs, (h_T, c_T), caches.")
    return out


def check_lstm_forward(lstm_forward: Fn, step_forward: Fn) -> None:
    expect_callable(lstm_forward, "lstm_forward")
    with _judged_alone(lstm_forward, "lstm_forward", ("sigmoid", "lstm_step_forward")):
        _lstm_forward_by_steps(lstm_forward, step_forward)


def _lstm_forward_by_steps(lstm_forward: Fn, step_forward: Fn) -> None:
    X, h0, c0, W, b = _seq_inputs()
    kept = {"X": X.copy(), "h0": h0.copy(), "c0": c0.copy()}
    Hs, (hT, cT), caches = _call_forward(lstm_forward, X, h0, c0, W, b)
    expect_unchanged("lstm_forward", kept, {"X": X, "h0": h0, "c0": c0})
    expect_shape(Hs, (4, 2, 4), "Hs")
    if len(caches) != 4:
        raise CheckFailed(f"caches should hold one step cache per time step (4 here); it holds {len(caches)}.")
    expect_close(hT, Hs[-1], "h_T (the last hidden state)")
    passed("lstm_forward: Hs (T, B, H), one cache per step, h_T = Hs[-1]")
    h, c = h0, c0
    for t in range(4):
        h, c, _ = step_forward(X[t], h, c, W, b)
        expect_close(Hs[t], h, f"Hs[{t}] (your lstm_step_forward, run by hand from h0, c0)")
    expect_close(cT, c, "c_T")
    passed("lstm_forward: the same as calling lstm_step_forward T times, carrying (h, c)")


def check_lstm_backward(lstm_forward: Fn, lstm_backward: Fn) -> None:
    expect_callable(lstm_backward, "lstm_backward")
    X, h0, c0, W, b = _seq_inputs(seed=4)
    dHs = _rng(5).standard_normal((4, 2, 4))
    earlier = ("sigmoid", "lstm_step_forward", "lstm_step_backward", "lstm_forward")
    with _judged_alone(lstm_backward, "lstm_backward", earlier):  # this task first (it runs lstm_step_backward)
        call_quietly(lstm_backward, dHs, [made_up_cache(X[t], h0, c0, W) for t in range(4)])
        if _skip_unless_ready(lstm_backward, "lstm_backward", earlier):
            return
        _lstm_backward_against_differences(lstm_forward, lstm_backward, X, h0, c0, W, b, dHs)


def _lstm_backward_against_differences(lstm_forward: Fn, lstm_backward: Fn, X, h0, c0, W, b, dHs) -> None:
    _, _, caches = _call_forward(lstm_forward, X, h0, c0, W, b)
    kept = dHs.copy()
    out = call_quietly(lstm_backward, dHs, caches)
    if not (isinstance(out, tuple) and len(out) == 5):
        raise CheckFailed("lstm_backward should return five things: dX, dh0, dc0, dW, db.")
    expect_unchanged("lstm_backward", {"dHs": kept}, {"dHs": dHs})

    def scalar(X=X, h0=h0, c0=c0, W=W, b=b):
        return np.sum(dHs * lstm_forward(X, h0, c0, W, b)[0])

    points = {"X": X, "h0": h0, "c0": c0, "W": W, "b": b}
    for (name, value), analytic in zip(points.items(), out):
        expect_shape(analytic, value.shape, f"d{name}")
        numeric = numerical_gradient(lambda v, name=name: scalar(**{name: v}), value)
        check_gradient(analytic, numeric, f"lstm_backward: d{name}", GRAD_THRESHOLD)


# -- the model -------------------------------------------------------------------------------------------------------

def check_softmax_cross_entropy(softmax_cross_entropy: Fn) -> None:
    expect_callable(softmax_cross_entropy, "softmax_cross_entropy")
    out = call_quietly(softmax_cross_entropy, np.zeros((3, 5)), np.array([0, 2, 4]))
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckFailed("softmax_cross_entropy should return two things: loss, dlogits.")
    loss, dlogits = out
    expect_close(float(loss), np.log(5), "the loss of uniform scores over 5 classes (log 5)")
    expect_shape(dlogits, (3, 5), "dlogits")
    passed("softmax_cross_entropy: log V for uniform scores, dlogits (N, V)")
    loss, _ = call_quietly(softmax_cross_entropy, np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    expect_close(float(loss), 500.0, "the loss for scores 1000 apart (no overflow: subtract the row maximum)")
    passed("softmax_cross_entropy: stable for scores of 1000")
    rng = _rng(6)
    logits, targets = rng.standard_normal((4, 6)), np.array([1, 0, 5, 1])
    analytic = call_quietly(softmax_cross_entropy, logits, targets)[1]
    numeric = numerical_gradient(lambda v: softmax_cross_entropy(v, targets)[0], logits)
    check_gradient(analytic, numeric, "softmax_cross_entropy: dlogits", GRAD_THRESHOLD)


def small_params(V: int = 5, D: int = 3, H: int = 4, seed: int = 7) -> dict[str, np.ndarray]:
    """A tiny float64 model for the checks: E (V, D), W (D + H, 4H), b (4H,), Wy (H, V), by (V,)."""
    rng = _rng(seed)
    return {"E": rng.standard_normal((V, D)), "W": 0.5 * rng.standard_normal((D + H, 4 * H)),
            "b": 0.5 * rng.standard_normal(4 * H), "Wy": rng.standard_normal((H, V)), "by": rng.standard_normal(V)}


MODEL_LOSS_RUNS = ("sigmoid", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
                   "softmax_cross_entropy")


def check_model_loss(model_loss: Fn) -> None:
    expect_callable(model_loss, "model_loss")
    with _judged_alone(model_loss, "model_loss", MODEL_LOSS_RUNS):
        _model_loss_against_differences(model_loss)


def _model_loss_against_differences(model_loss: Fn) -> None:
    params = small_params()
    rng = _rng(8)
    inputs = np.array([[0, 1], [1, 1], [4, 2]])  # a character repeated: its embedding gradients add up
    targets = np.array([[1, 2], [3, 1], [0, 0]])
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    kept = {**{k: v.copy() for k, v in params.items()}, "h0": h0.copy(), "c0": c0.copy()}
    out = call_quietly(model_loss, params, inputs, targets, h0, c0)
    if not (isinstance(out, tuple) and len(out) == 3 and isinstance(out[2], tuple) and len(out[2]) == 2):
        raise CheckFailed("model_loss should return loss, grads, (h_T, c_T).")
    loss, grads, (hT, cT) = out
    expect_unchanged("model_loss", kept, {**params, "h0": h0, "c0": c0})
    expect_type(grads, dict, "grads")
    if set(grads) != set(params):
        raise CheckFailed(f"grads should have the keys of params {sorted(params)}; it has {sorted(grads)}.")
    expect_shape(hT, (2, 4), "h_T")
    expect_shape(cT, (2, 4), "c_T")
    passed("model_loss: a float loss, one gradient per parameter, the final state (B, H)")
    if _skip_unless_ready(model_loss, "model_loss", MODEL_LOSS_RUNS):
        return
    for name, value in params.items():
        def loss_of(v, name=name):
            return model_loss({**params, name: v}, inputs, targets, h0, c0)[0]
        check_gradient(grads[name], numerical_gradient(loss_of, value), f"model_loss: d{name}", GRAD_THRESHOLD)


def check_clip_by_global_norm(clip: Fn) -> None:
    expect_callable(clip, "clip_by_global_norm")
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0], [4.0]])}  # global norm 5
    kept = {k: v.copy() for k, v in grads.items()}
    out = call_quietly(clip, grads, 1.0)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckFailed("clip_by_global_norm should return two things: the clipped dict and the norm.")
    clipped, norm = out
    expect_unchanged("clip_by_global_norm", kept, grads)
    expect_close(float(norm), 5.0, "the global norm of {a: [3, 0], b: [[0], [4]]}")
    expect_close(clipped["a"], [0.6, 0.0], "clipped['a'] with max_norm 1 (all scaled by 1/5)")
    expect_close(clipped["b"], [[0.0], [0.8]], "clipped['b'] with max_norm 1")
    passed("clip_by_global_norm: one factor for all arrays, the norm before clipping, the input untouched")
    clipped, _ = call_quietly(clip, grads, 10.0)
    expect_close(clipped["a"], [3.0, 0.0], "clipped['a'] when the norm (5) is below max_norm (10): unchanged")
    passed("clip_by_global_norm: nothing changes below max_norm")


# -- sampling --------------------------------------------------------------------------------------------------------

def check_next_char_probs(next_char_probs: Fn) -> None:
    expect_callable(next_char_probs, "next_char_probs")
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    probs = expect_shape(call_quietly(next_char_probs, logits, 1.0), (4,), "next_char_probs(logits, 1.0)")
    expect_close(probs.sum(), 1.0, "the sum of the probabilities")
    expect_close(probs, np.exp(logits) / np.exp(logits).sum(), "the probabilities at temperature 1 (the softmax)")
    passed("next_char_probs: the softmax at temperature 1")
    cold = call_quietly(next_char_probs, logits, 0.01)
    hot = call_quietly(next_char_probs, logits, 100.0)
    if not (cold[0] > 0.999 and np.all(np.abs(np.asarray(hot) - 0.25) < 0.01)):
        raise CheckFailed("at temperature 0.01 nearly all the probability should go to the largest score, and at "
                          "temperature 100 the distribution should be nearly uniform: divide the scores by it.")
    probs = call_quietly(next_char_probs, np.array([1000.0, 0.0]), 0.5)
    expect_close(probs, [1.0, 0.0], "the probabilities for scores 1000 and 0 (no overflow)")
    close = np.array([0.3, 0.2999, 0.1, 0.3001])
    probs = np.asarray(call_strictly(next_char_probs, close, 1e-4, task="next_char_probs",
                                     hint="divide the scores by the temperature first, then take a stable softmax"))
    expect_close(probs, np.exp(close / 1e-4 - 3001) / np.exp(close / 1e-4 - 3001).sum(),
                 "the probabilities at temperature 1e-4 for scores 0.3, 0.2999, 0.1, 0.3001 (s / tau is large: "
                 "scale first, then the stable softmax)", atol=1e-9)
    passed("next_char_probs: sharper below temperature 1, flatter above, stable for large scores and tiny "
           "temperatures")


def check_generate(generate: Fn, params: dict[str, np.ndarray] | None = None) -> None:
    expect_callable(generate, "generate")
    with _judged_alone(generate, "generate", ("sigmoid", "lstm_step_forward", "next_char_probs")):
        _generate_properties(generate, small_params(seed=9) if params is None else params)


def _generate_properties(generate: Fn, params: dict[str, np.ndarray]) -> None:
    V = params["E"].shape[0]
    first = call_quietly(generate, params, [1, 2], 20, 1.0, np.random.default_rng(0))
    expect_type(first, list, "generate(...)")
    if len(first) != 20 or not all(isinstance(i, int | np.integer) and 0 <= i < V for i in first):
        raise CheckFailed(f"generate should return a list of 20 ints in [0, {V}); got {first!r:.200}")
    again = call_quietly(generate, params, [1, 2], 20, 1.0, np.random.default_rng(0))
    if list(again) != list(first):
        raise CheckFailed("two calls with generators of the same seed wrote different text: draw every random "
                          "number from the `rng` you are given.")
    passed("generate: n indices in [0, V), reproducible with the same generator")
    if _skip_unless_ready(generate, "generate", ("sigmoid", "lstm_step_forward", "next_char_probs")):
        return
    greedy = [call_quietly(generate, params, [3], 10, 1e-4, np.random.default_rng(seed)) for seed in (1, 2)]
    if list(greedy[0]) != list(greedy[1]):
        raise CheckFailed("at a temperature near 0 the text should not depend on the generator (always the most "
                          "likely next character).")
    passed("generate: near temperature 0 it always takes the most likely character")

