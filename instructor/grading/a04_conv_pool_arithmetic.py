"""Hidden tests of notebook 04 (convolution and pooling arithmetic): one ``grade_<task>`` per test cell.

Oracles
    PyTorch (the shapes and values of ``F.conv1d``, ``F.conv2d``, ``F.avg_pool2d``, ``F.max_pool2d`` and
    ``F.scaled_dot_product_attention``, the parameter counts of ``nn`` modules) or brute-force loops (window
    starts, unit images, one query at a time). Each is written once, in the section "Oracles", and serves both as
    the expected answer and as the stand-in for the task it answers.

Cases
    The seeds and random cases of the former hidden tests (401 to 419), then boundary cases: sizes where the floor
    of the size formula matters, strides larger than the kernel, padding 0, a kernel or window as large as the
    input, a single pixel.

Isolation
    A student's function runs with the oracle of every *other* task of the notebook in place of the student's own
    (:func:`_isolated`): ``strides_keeping_size`` with a correct ``conv_output_size``, ``attention_output`` with
    correct probabilities, and so on. It gets copies of its inputs and fails, saying so, if it changes one of them
    in place (:func:`_run`). The answers that the notebook computes *from* earlier functions (parts (a) to (c),
    Tasks 4.3 and 4.4) are accepted when they are right, or when they are what the student's own earlier functions
    give for the question asked (:func:`_one_of`): a mistake in a function costs points in its own cell only.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from helpers.checks import (
    CheckFailed,
    as_float_array,
    call_quietly,
    expect_bool,
    expect_close,
    expect_int,
    expect_shape,
    expect_whole_number,
)
from instructor.grading import one_thread

Fn = Callable[..., Any]

# The notebook's feature map and filters (Section 2).
FMAP = np.array([[1, 0, 2, 3, 1], [0, 2, 1, 0, 2], [3, 1, 0, 1, 0], [2, 0, 1, 2, 3], [1, 3, 2, 0, 1]], dtype=float)
FILTER1 = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
FILTER2 = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype=float)

# Task 4.3: RGB 200 x 300 images, three 3 x 3 convolutions with stride 2 and SAME padding.
Q2_IMAGE = (200, 300)
Q2_CHANNELS = (3, 100, 200, 400)
Q2_KERNEL, Q2_STRIDE = 3, 2

# Task 4.4: the (input, output) sides of C1 and C2 in the LeNet-5 table.
LENET_SIDES = ((28, 24), (12, 8))


# ---------------------------------------------------------------------------------------------------------
# Oracles
# ---------------------------------------------------------------------------------------------------------


def conv_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Output width of ``F.conv1d`` (window k, `padding` zeros per side, stride) on n inputs."""
    out = F.conv1d(torch.zeros(1, 1, int(n)), torch.zeros(1, 1, int(k)), stride=int(stride), padding=int(padding))
    return int(out.shape[-1])


def same_pad(k: int) -> int:
    """The smallest padding per side that keeps the size under a k-wide kernel, found by trying each; ValueError
    when none does."""
    k = int(k)
    n = k + 6
    for p in range(k + 1):
        if conv_size(n, k, p) == n:
            return p
    raise ValueError(f"no symmetric zero padding keeps the size under a {k}-wide kernel")


def windows_tile(n: int, k: int, padding: int, stride: int) -> bool:
    """Whether the windows that fit end exactly at the padded border (brute force over the window starts)."""
    width, k = int(n) + 2 * int(padding), int(k)
    starts = list(range(0, width - k + 1, int(stride)))
    return bool(starts) and starts[-1] + k == width


def size_keeping_strides(n: int, k: int, padding: int) -> list[int]:
    """All strides (searched far beyond the largest that can work) with an output as wide as the input."""
    return [s for s in range(1, 3 * (int(n) + 2 * int(padding)) + 3) if conv_size(n, k, padding, s) == n]


def xcorr(x: Any, w: Any, padding: int = 0, stride: int = 1) -> np.ndarray:
    """``F.conv2d`` (cross-correlation) of one map with one filter, in float64."""
    xt = torch.tensor(np.array(x, dtype=np.float64))[None, None]
    wt = torch.tensor(np.array(w, dtype=np.float64))[None, None]
    return F.conv2d(xt, wt, stride=int(stride), padding=int(padding))[0, 0].numpy()


def avg_pool(x: Any, size: int, stride: int) -> np.ndarray:
    """``F.avg_pool2d`` of one map (no padding, windows that do not fit dropped)."""
    xt = torch.tensor(np.array(x, dtype=np.float64))[None, None]
    return F.avg_pool2d(xt, int(size), stride=int(stride))[0, 0].numpy()


def conv_shape(H: int, W: int, M: int, N: int) -> tuple[int, int]:  # noqa: N803 - the notebook's names
    """Shape of ``F.conv2d`` of an H x W map with an M x N filter (stride 1, no padding)."""
    h, w = F.conv2d(torch.zeros(1, 1, int(H), int(W)), torch.zeros(1, 1, int(M), int(N))).shape[-2:]
    return int(h), int(w)


def conv_matrix_of(w: Any, H: int, W: int) -> np.ndarray:  # noqa: N803
    """The matrix of the convolution with w: column j is the convolution of the j-th unit image."""
    columns = []
    H, W = int(H), int(W)  # noqa: N806
    for j in range(H * W):
        unit = np.zeros(H * W)
        unit[j] = 1.0
        columns.append(xcorr(unit.reshape(H, W), w).reshape(-1))
    return np.stack(columns, axis=1)


def n_params(module: nn.Module) -> int:
    """Number of parameters of a torch module."""
    return sum(t.numel() for t in module.parameters())


def conv_params(c_in: int, c_out: int, kh: int, kw: int, bias: bool = True) -> int:
    """Parameters of ``nn.Conv2d`` (built on the meta device: no memory, no random numbers)."""
    return n_params(nn.Conv2d(int(c_in), int(c_out), (int(kh), int(kw)), bias=bool(bias), device="meta"))


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Parameters of ``nn.Linear``."""
    return n_params(nn.Linear(int(n_in), int(n_out), bias=bool(bias), device="meta"))


def pooled_features(H: int, W: int, M: int, N: int) -> int:  # noqa: N803
    """Entries of h2: an M x N convolution (stride 1, no padding), then ``F.max_pool2d`` 2 x 2 with stride 2."""
    z = F.conv2d(torch.zeros(1, 1, int(H), int(W)), torch.zeros(1, 1, int(M), int(N)))
    return int(F.max_pool2d(z, 2, stride=2).numel())


def conv_net_params(H: int, W: int, M: int, N: int) -> int:  # noqa: N803
    """Task 4.2's CNN without biases: one M x N filter, and a dense layer from h2 to 3 classes."""
    return conv_params(1, 1, M, N, bias=False) + dense_params(pooled_features(H, W, M, N), 3, bias=False)


def fc_net_params(H: int, W: int, M: int, N: int) -> int:  # noqa: N803
    """Task 4.2's fully connected network without biases: HW pixels to |h2| units, then to 3 classes."""
    h2 = pooled_features(H, W, M, N)
    return dense_params(H * W, h2, bias=False) + dense_params(h2, 3, bias=False)


def same_size(n: int, stride: int) -> int:
    """SAME padding: one window per start 0, s, 2s, ... inside the n pixels (counted)."""
    return len(range(0, int(n), int(stride)))


def kernel_for(n_in: int, n_out: int, padding: int = 0) -> int:
    """The kernel side that maps n_in to n_out with stride 1 (tried one by one); ValueError when none does."""
    for k in range(1, int(n_in) + 2 * int(padding) + 1):
        if conv_size(n_in, k, padding) == n_out:
            return k
    raise ValueError(f"no kernel maps {n_in} to {n_out} with padding {padding}")


def lenet_flat(k1: int, k2: int) -> int:
    """Input size of F1: LeNet-5's features on a 28 x 28 image, run in torch."""
    features = nn.Sequential(nn.Conv2d(1, 6, k1), nn.ReLU(), nn.MaxPool2d(2, 2),
                             nn.Conv2d(6, 16, k2), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten())
    with torch.no_grad():
        return int(features(torch.zeros(1, 1, 28, 28)).shape[1])


def lenet_total(k1: float, k2: float, f1: float, conv: Fn = conv_params, dense: Fn = dense_params) -> float:
    """All weights and biases of LeNet-5, counted layer by layer with ``conv`` and ``dense`` (the oracles, or a
    student's counting functions)."""
    return (conv(1, 6, k1, k1) + conv(6, 16, k2, k2) + dense(f1, 120) + dense(120, 84) + dense(84, 10))


def attention_probs(x_flat: Any) -> np.ndarray:
    """Softmax over the keys of the scores x_i x_j, one query at a time."""
    x = [float(v) for v in np.asarray(x_flat, dtype=float).reshape(-1)]
    out = np.empty((len(x), len(x)))
    for i, xi in enumerate(x):
        row = [math.exp(xi * xj) for xj in x]
        total = sum(row)
        out[i] = [r / total for r in row]
    return out


def attention_out(x_flat: Any) -> np.ndarray:
    """``F.scaled_dot_product_attention`` with queries, keys and values x' (d = 1, so the scale is 1)."""
    q = torch.tensor(np.array(x_flat, dtype=np.float64)).reshape(1, -1, 1)
    return F.scaled_dot_product_attention(q, q, q)[0, :, 0].numpy()


# The stand-in for each task of the notebook, when another task is graded.
REFERENCES: dict[str, Fn] = {
    "conv_output_size": conv_size,
    "same_padding": same_pad,
    "is_valid_stride": windows_tile,
    "strides_keeping_size": size_keeping_strides,
    "cross_correlate2d": xcorr,
    "avg_pool2d": avg_pool,
    "conv_output_shape": conv_shape,
    "conv_matrix": conv_matrix_of,
    "conv_layer_params": conv_params,
    "dense_layer_params": dense_params,
    "params_conv_net": conv_net_params,
    "params_fc_net": fc_net_params,
    "same_output_size": same_size,
    "filter_size_for": kernel_for,
    "attention_probabilities": attention_probs,
    "attention_output": attention_out,
}


# ---------------------------------------------------------------------------------------------------------
# Running students' code
# ---------------------------------------------------------------------------------------------------------


def _rebound(fn: types.FunctionType, scope: dict) -> types.FunctionType:
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _isolated(fn: Fn, task: str) -> Fn:
    """``fn`` (the student's ``task``) seeing the reference of every other task of the notebook in place of the
    student's own; the student's other helper functions see them too. Not a plain function: ``fn`` itself."""
    if not isinstance(fn, types.FunctionType):
        return fn
    notebook = fn.__globals__
    scope = dict(notebook)
    scope.update({name: reference for name, reference in REFERENCES.items() if name != task})
    for name, value in notebook.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is notebook and name not in REFERENCES:
            scope[name] = _rebound(value, scope)
    return _rebound(fn, scope)


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def _run(task: str, fn: Fn, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` on copies of the array arguments; fails, naming ``task``, if it changed one of them."""
    copies = [_copy(a) for a in args]
    result = call_quietly(fn, *copies, **kwargs)
    for index, (before, after) in enumerate(zip(args, copies)):
        if isinstance(before, np.ndarray) and not (after.shape == before.shape
                                                   and np.array_equal(after, before, equal_nan=True)):
            try:
                name = f"`{list(inspect.signature(fn).parameters)[index]}`"
            except (TypeError, ValueError, IndexError):
                name = f"number {index + 1}"
            raise CheckFailed(f"`{task}` changed its input {name} in place; the caller's array must stay as it "
                              "was (work on a copy, e.g. np.array(x, dtype=float)).")
    return result


def _follow(fn: Any, *args: Any, **kwargs: Any) -> np.ndarray | None:
    """What the student's own ``fn`` gives (as finite floats), or None when it cannot be called or read."""
    try:
        value = np.array(call_quietly(fn, *[_copy(a) for a in args], **kwargs), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a student's function may raise anything
        return None
    return value if np.all(np.isfinite(value)) else None


def _one_of(check: Fn, got: Any, candidates: Iterable[Any], name: str, **options: Any) -> None:
    """``check(got, c, name)`` passes for some candidate c (None: left out); else the failure against the first,
    the right answer. The others are what the student's earlier functions give, so a mistake there costs once."""
    first, *others = list(candidates)
    for candidate in others:
        if candidate is None:
            continue
        try:
            check(got, candidate, name, **options)
            return
        except CheckFailed:
            continue
    check(got, first, name, **options)


def _whole(value: Any, name: str) -> int:
    """A single whole number, as an int (2.5 is refused, not truncated)."""
    got = expect_shape(value, (), name)
    if not np.isfinite(got) or got != np.round(got):
        raise CheckFailed(f"`{name}` should be a whole number, but it is {got.item():g}.")
    return int(got)


def _map(value: Any) -> np.ndarray | None:
    """A student's 2-D map with at least 2 x 2 finite entries, or None."""
    try:
        array = as_float_array(value, "map")
    except CheckFailed:
        return None
    return array if array.ndim == 2 and min(array.shape) >= 2 and np.all(np.isfinite(array)) else None


def _show(value: Any) -> str:
    return "array " + "x".join(map(str, value.shape)) if isinstance(value, np.ndarray) else repr(value)


def _against(task: str, fn: Fn, cases: Iterable[tuple], check: Fn, **options: Any) -> None:
    """Grade the student's ``task`` (isolated, on copies) against its oracle in ``REFERENCES`` on each case: a tuple
    of positional arguments, with a dict of keyword arguments last when there are some. ``check(got, want, name,
    **options)`` compares (``expect_whole_number``, ``expect_bool``, ``expect_close``)."""
    student = _isolated(fn, task)
    for case in cases:
        args, kwargs = (case[:-1], case[-1]) if case and isinstance(case[-1], dict) else (case, {})
        shown = ", ".join([*map(_show, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
        check(_run(task, student, *args, **kwargs), REFERENCES[task](*args, **kwargs), f"{task}({shown})", **options)


def _int_pair(got: Any, want: Any, name: str, hint: str = "") -> None:
    """``got`` is a tuple of two ints equal to ``want``."""
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(f"`{name}` is {got!r:.60}; it should be a tuple of two ints (rows, columns).")
    for value, expected, part in zip(got, want, ("rows", "columns")):
        expect_int(value, int(expected), f"{name}: the {part}", hint)


def _flat_close(got: Any, want: Any, name: str, **options: Any) -> None:
    """``expect_close`` of a list of numbers, whatever its nesting."""
    expect_close(as_float_array(got, name).reshape(-1), np.asarray(want, dtype=float), name, **options)


# ---------------------------------------------------------------------------------------------------------
# 1. Sizes
# ---------------------------------------------------------------------------------------------------------

# (n, k, padding, stride): the floor matters, stride larger than the kernel, padding 0, a single window.
_SIZE_BOUNDARIES = [(10, 3, 0, 3), (10, 2, 0, 3), (11, 2, 0, 4), (7, 7, 0, 1), (5, 5, 0, 3), (5, 1, 0, 7),
                    (4, 3, 1, 2), (6, 1, 0, 5), (1, 1, 0, 1), (3, 5, 1, 4), (9, 4, 2, 6)]


@one_thread
def grade_conv_output_size(conv_output_size: Fn) -> None:
    """Task 1.1 against ``F.conv1d`` on 40 random and 11 boundary cases."""
    rng = np.random.default_rng(401)
    cases = []
    for _ in range(40):
        n, p, s = int(rng.integers(1, 30)), int(rng.integers(0, 4)), int(rng.integers(1, 5))
        cases.append((n, int(rng.integers(1, n + 2 * p + 1)), p, s))
    _against("conv_output_size", conv_output_size,
             [(n, k, {"padding": p, "stride": s}) for n, k, p, s in cases + _SIZE_BOUNDARIES],
             expect_int, hint="count the windows that fit completely: round down.")


@one_thread
def grade_same_padding(same_padding: Fn) -> None:
    """Task 1.2 for kernels 1 to 14 and 31: the padding that keeps the size, or a ValueError with a reason."""
    kernels = [*range(1, 15), 31]
    odd = [k for k in kernels if _padding_exists(k)]
    _against("same_padding", same_padding, [(k,) for k in odd], expect_int)
    fn = _isolated(same_padding, "same_padding")
    for k in sorted(set(kernels) - set(odd)):
        try:
            value = call_quietly(fn, k)
        except ValueError as error:
            if not str(error).strip():
                raise CheckFailed(f"`same_padding({k})` raises a ValueError without a message; the task asks for a "
                                  "sentence that says why no symmetric padding works.") from None
            continue
        raise CheckFailed(f"`same_padding({k})` should raise ValueError (no symmetric zero padding keeps the size "
                          f"under an even kernel), but it returned {repr(value)[:40]}.")


def _padding_exists(k: int) -> bool:
    try:
        same_pad(k)
    except ValueError:
        return False
    return True


# (n, k, padding, stride): gaps between windows (stride > k), padding 0, kernel = padded input, kernel too large.
_TILE_BOUNDARIES = [(7, 1, 0, 3), (8, 1, 0, 3), (9, 2, 0, 7), (9, 2, 0, 6), (5, 5, 0, 1), (5, 5, 0, 4),
                    (3, 5, 0, 1), (2, 6, 1, 2), (4, 6, 1, 3), (6, 3, 0, 3), (1, 1, 0, 1), (7, 3, 0, 5)]


@one_thread
def grade_is_valid_stride(is_valid_stride: Fn) -> None:
    """Task 1.3 against the window starts counted one by one, on 60 random and 12 boundary cases."""
    rng = np.random.default_rng(403)
    drawn = [tuple(int(v) for v in (rng.integers(1, 16), rng.integers(0, 3), rng.integers(1, 5), rng.integers(1, 20)))
             for _ in range(60)]
    _against("is_valid_stride", is_valid_stride, [(n, k, p, s) for n, p, s, k in drawn] + _TILE_BOUNDARIES,
             expect_bool, hint="valid means: some window fits, and the last one ends exactly at the padded border "
                               "(gaps between windows, when the stride exceeds the kernel, are allowed).")


# (n, k, padding): the largest stride that works equals n + 2p - k, none without padding, a single stride.
_STRIDE_BOUNDARIES = [(2, 3, 4), (3, 1, 4), (2, 2, 0), (4, 1, 0), (3, 3, 1), (7, 2, 0)]


@one_thread
def grade_strides_keeping_size(strides_keeping_size: Fn) -> None:
    """Task 1.4 against a search over strides with ``F.conv1d``, run with a correct ``conv_output_size``."""
    rng = np.random.default_rng(404)
    cases = [(5, 3, 1), (2, 1, 5), (6, 2, 4), (9, 9, 0)]
    cases += [tuple(int(v) for v in (rng.integers(2, 12), rng.integers(1, 6), rng.integers(0, 6))) for _ in range(12)]
    _against("strides_keeping_size", strides_keeping_size,
             [(n, k, p) for n, k, p in cases + _STRIDE_BOUNDARIES if k <= n + 2 * p], _flat_close,
             hint="every stride, in increasing order; a stride up to n + 2p - k can still give two windows.")


# ---------------------------------------------------------------------------------------------------------
# 2. Cross-correlation and pooling
# ---------------------------------------------------------------------------------------------------------

# (H, W, kh, kw, padding, stride): stride > kernel, 1 x 1 kernel, kernel = input, the floor matters, a flat map.
_XCORR_BOUNDARIES = [(7, 8, 2, 2, 0, 3), (6, 5, 1, 1, 0, 3), (4, 6, 4, 6, 0, 1), (5, 7, 2, 3, 2, 2),
                     (3, 3, 3, 3, 1, 2), (2, 9, 1, 4, 0, 5), (6, 6, 3, 2, 0, 4)]


@one_thread
def grade_cross_correlate2d(cross_correlate2d: Fn) -> None:
    """Task 2.1 against ``F.conv2d`` on 12 random and 7 boundary cases; the inputs must stay unchanged."""
    rng = np.random.default_rng(405)
    cases = []
    for _ in range(12):
        h, w = int(rng.integers(3, 10)), int(rng.integers(3, 10))
        kh, kw = int(rng.integers(1, min(h, 5) + 1)), int(rng.integers(1, min(w, 5) + 1))
        p, s = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        cases.append((rng.normal(size=(h, w)), rng.normal(size=(kh, kw)), {"padding": p, "stride": s}))
    extra = np.random.default_rng(4050)
    cases += [(extra.normal(size=(h, w)), extra.normal(size=(kh, kw)), {"padding": p, "stride": s})
              for h, w, kh, kw, p, s in _XCORR_BOUNDARIES]
    _against("cross_correlate2d", cross_correlate2d, cases, expect_close, rtol=1e-9, atol=1e-10,
             hint="out[i, j] = sum over the window at (s i, s j) of the zero-padded x times w, without flipping w.")


@one_thread
def grade_part_a(padding_a: Any, map_a: Any, cross_correlate2d: Fn) -> None:
    """(a): the padding that keeps F 5 x 5 under Filter1, and F' (or what the student's cross_correlate2d gives)."""
    pad = same_pad(FILTER1.shape[0])
    expect_whole_number(padding_a, pad, "padding_a", hint="the padding that keeps the size with stride 1 (Task 1.2).")
    mine = _follow(cross_correlate2d, FMAP, FILTER1, padding=pad, stride=1)
    _one_of(expect_close, map_a, [xcorr(FMAP, FILTER1, pad), mine], "map_a",
            hint="F' is F cross-correlated with Filter1 (not Filter2), with padding_a and stride 1; deep-learning "
                 "convolution does not flip the filter.")


@one_thread
def grade_part_b(strides_b: Any, stride_b: Any, map_b: Any, strides_keeping_size: Fn, cross_correlate2d: Fn) -> None:
    """(b): the strides that keep F 5 x 5 under Filter2 with padding 1, the smallest, and the map it gives."""
    n, k = FMAP.shape[0], FILTER2.shape[0]
    strides = size_keeping_strides(n, k, 1)
    mine = _follow(strides_keeping_size, n, k, 1)
    if mine is not None and mine.size == 0 and stride_b is None and map_b is None \
            and (strides_b is None or len(strides_b) == 0):
        return  # your strides_keeping_size (graded in its own cell) found none, and (b) did what the text says then
    _one_of(_flat_close, strides_b, [strides, None if mine is None else mine.reshape(-1)], "strides_b",
            hint="the strides s with an output as wide as F (padding 1, Filter2).")
    expect_whole_number(stride_b, strides[0], "stride_b", hint="the smallest stride of the list.")
    _one_of(expect_close, map_b, [xcorr(FMAP, FILTER2, 1, strides[0]),
                                  _follow(cross_correlate2d, FMAP, FILTER2, padding=1, stride=strides[0])],
            "map_b", hint="F cross-correlated with Filter2, padding 1 and stride_b.")


# (H, W, size, stride): stride > window, window 1, window = map, the floor matters.
_POOL_BOUNDARIES = [(8, 7, 2, 3), (6, 9, 1, 2), (5, 5, 5, 1), (7, 5, 3, 2), (4, 9, 4, 4), (9, 4, 2, 5)]


@one_thread
def grade_avg_pool2d(avg_pool2d: Fn) -> None:
    """Task 2.2 against ``F.avg_pool2d`` on 10 random and 6 boundary cases; the input must stay unchanged."""
    rng = np.random.default_rng(407)
    cases = []
    for _ in range(10):
        h, w = int(rng.integers(3, 12)), int(rng.integers(3, 12))
        size, s = int(rng.integers(1, min(h, w, 4) + 1)), int(rng.integers(1, 4))
        cases.append((rng.normal(size=(h, w)), size, s))
    extra = np.random.default_rng(4070)
    cases += [(extra.normal(size=(h, w)), size, s) for h, w, size, s in _POOL_BOUNDARIES]
    _against("avg_pool2d", avg_pool2d, cases, expect_close, rtol=1e-9,
             hint="windows that do not fit completely are dropped.")


@one_thread
def grade_part_c(pooled_c: Any, map_a: Any, avg_pool2d: Fn) -> None:
    """(c): map_a pooled 2 x 2 with stride 2: right, or what the student's avg_pool2d gives on their map_a."""
    right = xcorr(FMAP, FILTER1, same_pad(FILTER1.shape[0]))
    candidates = [avg_pool(right, 2, 2)]
    for m in [right] + ([] if _map(map_a) is None else [_map(map_a)]):
        candidates += [avg_pool(m, 2, 2), _follow(avg_pool2d, m, 2, 2)]
    _one_of(expect_close, pooled_c, candidates, "pooled_c",
            hint="average pooling of map_a (F', not F), size 2 and stride 2.")


@one_thread
def grade_part_d(pool_filter_d: Any, pool_stride_d: Any, pool_padding_d: Any) -> None:
    """(d): the convolution with the student's filter, stride and padding equals 2 x 2 average pooling with
    stride 2 on maps of even, odd and smallest sizes."""
    k = expect_shape(pool_filter_d, (None, None), "pool_filter_d")
    stride, padding = _whole(pool_stride_d, "pool_stride_d"), _whole(pool_padding_d, "pool_padding_d")
    rng = np.random.default_rng(409)
    for shape in [(5, 5), (6, 8), (7, 4), (10, 9), (2, 2), (3, 9), (9, 3)]:
        x = rng.normal(size=shape)
        try:
            got = xcorr(x, k, padding, stride)
        except RuntimeError:
            raise CheckFailed(f"a convolution with your filter {k.shape}, stride {stride} and padding {padding} "
                              f"cannot run on a {shape} map.") from None
        expect_close(got, avg_pool(x, 2, 2), f"your convolution on a {shape} map")


# ---------------------------------------------------------------------------------------------------------
# 3. Convolution as a matrix
# ---------------------------------------------------------------------------------------------------------


@one_thread
def grade_conv_output_shape(conv_output_shape: Fn) -> None:
    """Task 3.1 against ``F.conv2d`` on 8 random and 4 boundary cases (a 1 x 1 output, 1-wide filters)."""
    rng = np.random.default_rng(410)
    cases = []
    for _ in range(8):
        H, W = int(rng.integers(2, 15)), int(rng.integers(2, 15))  # noqa: N806
        cases.append((H, W, int(rng.integers(1, H + 1)), int(rng.integers(1, W + 1))))
    _against("conv_output_shape", conv_output_shape, cases + [(5, 8, 5, 8), (6, 9, 1, 9), (7, 4, 7, 1), (3, 11, 2, 5)],
             _int_pair, hint="(rows, columns).")


# (H, W, M, N): row and column filters, a 1 x 1 filter, a filter as large as the image (one row of M).
_MATRIX_BOUNDARIES = [(4, 7, 1, 3), (5, 3, 5, 1), (3, 6, 1, 1), (4, 5, 4, 5), (6, 4, 2, 4)]


@one_thread
def grade_conv_matrix(conv_matrix: Fn) -> None:
    """Task 3.2 against the convolutions of the unit images, and M x' against ``F.conv2d``; w stays unchanged."""
    fn = _isolated(conv_matrix, "conv_matrix")
    rng = np.random.default_rng(411)
    cases = []
    for _ in range(5):
        H, W = int(rng.integers(3, 9)), int(rng.integers(3, 9))  # noqa: N806
        M, N = int(rng.integers(1, H)), int(rng.integers(1, W))  # noqa: N806
        if (H, W) == (M, N) or H == W:
            W += 1  # noqa: N806 - non-square images: a transposed index shows
        cases.append((H, W, rng.normal(size=(M, N)), rng.normal(size=(H, W))))
    extra = np.random.default_rng(4110)
    cases += [(H, W, extra.normal(size=(M, N)), extra.normal(size=(H, W))) for H, W, M, N in _MATRIX_BOUNDARIES]
    for H, W, w, x in cases:  # noqa: N806
        M, N = w.shape  # noqa: N806
        got = _run("conv_matrix", fn, w, H, W)
        expect_close(got, conv_matrix_of(w, H, W), f"conv_matrix(w {M}x{N}, {H}, {W})", rtol=1e-9, atol=1e-12)
        expect_close(np.asarray(got, dtype=float) @ x.reshape(-1), xcorr(x, w).reshape(-1), "M x'",
                     rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------------------------------------
# 4. Parameter counts
# ---------------------------------------------------------------------------------------------------------


@one_thread
def grade_conv_layer_params(conv_layer_params: Fn) -> None:
    """Task 4.1 (convolution) against ``nn.Conv2d``, with and without biases, and with the default."""
    rng = np.random.default_rng(412)
    layers = [tuple(int(v) for v in rng.integers(1, 9, size=4)) for _ in range(8)] + [(1, 1, 1, 1), (3, 5, 1, 7),
                                                                                      (7, 2, 4, 1)]
    _against("conv_layer_params", conv_layer_params,
             [(*layer, {"bias": bias}) for layer in layers for bias in (True, False)] + [(5, 7, 3, 3)],
             expect_whole_number)


@one_thread
def grade_dense_layer_params(dense_layer_params: Fn) -> None:
    """Task 4.1 (dense) against ``nn.Linear``, with and without biases, and with the default."""
    rng = np.random.default_rng(418)
    layers = [(int(rng.integers(1, 300)), int(rng.integers(1, 300))) for _ in range(8)] + [(1, 1), (1, 40)]
    _against("dense_layer_params", dense_layer_params,
             [(*layer, {"bias": bias}) for layer in layers for bias in (True, False)] + [(17, 9)],
             expect_whole_number)


def _net_cases(seed: int) -> list[tuple[int, int, int, int]]:
    """(H, W, M, N) for Task 4.2: 8 random, then odd sizes before pooling (the floor matters), z 2 or 3 wide,
    a 1 x 1 filter."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(8):
        H, W = int(rng.integers(5, 30)), int(rng.integers(5, 30))  # noqa: N806
        cases.append((H, W, int(rng.integers(1, H - 2)), int(rng.integers(1, W - 2))))
    return cases + [(6, 7, 2, 3), (5, 5, 4, 4), (9, 6, 1, 1), (7, 12, 5, 10), (8, 11, 2, 1)]


@one_thread
def grade_params_conv_net(params_conv_net: Fn) -> None:
    """Task 4.2 (CNN) against torch modules and ``F.max_pool2d``, run with the reference counting functions."""
    _against("params_conv_net", params_conv_net, _net_cases(413), expect_whole_number)


@one_thread
def grade_params_fc_net(params_fc_net: Fn) -> None:
    """Task 4.2 (fully connected) against torch modules and ``F.max_pool2d``."""
    _against("params_fc_net", params_fc_net, _net_cases(419), expect_whole_number)


@one_thread
def grade_same_output_size(same_output_size: Fn) -> None:
    """Task 4.3 (SAME size) against the window starts counted, on 20 random and 8 boundary cases."""
    rng = np.random.default_rng(414)
    cases = [(int(rng.integers(1, 400)), int(rng.integers(1, 6))) for _ in range(20)]
    _against("same_output_size", same_output_size,
             cases + [(1, 1), (1, 5), (4, 5), (5, 5), (10, 5), (11, 2), (12, 3), (2, 1)], expect_whole_number)


@one_thread
def grade_q2_cnn(q2_map_sizes: Any, q2_params: Any, same_output_size: Fn, conv_layer_params: Fn) -> None:
    """Task 4.3: the three map sizes and the parameter count, right or as the student's functions give them."""
    sizes, mine = [], []
    height, width = Q2_IMAGE
    for _ in range(len(Q2_CHANNELS) - 1):
        height, width = same_size(height, Q2_STRIDE), same_size(width, Q2_STRIDE)
        sizes.append((height, width))
    for _ in range(len(Q2_CHANNELS) - 1):
        previous = mine[-1] if mine else Q2_IMAGE
        side = [_follow(same_output_size, n, Q2_STRIDE) for n in previous]
        if any(v is None or v.shape for v in side):
            mine = None
            break
        mine.append(tuple(float(v) for v in side))
    _one_of(expect_close, q2_map_sizes, [sizes, mine], "q2_map_sizes",
            hint="SAME padding: one output per start 0, 2, 4, ... inside the map (Task 4.3's same_output_size).")
    layers = list(zip(Q2_CHANNELS, Q2_CHANNELS[1:]))
    counts = [_follow(conv_layer_params, c_in, c_out, Q2_KERNEL, Q2_KERNEL) for c_in, c_out in layers]
    _one_of(expect_whole_number, q2_params,
            [sum(conv_params(c_in, c_out, Q2_KERNEL, Q2_KERNEL) for c_in, c_out in layers),
             None if any(c is None or c.shape for c in counts) else float(sum(counts))],
            "q2_params", hint="every filter spans all input channels, and every filter has a bias.")


@one_thread
def grade_filter_size_for(filter_size_for: Fn) -> None:
    """Task 4.4 (kernel side): the side of a ``F.conv1d`` kernel recovered from the sizes; 10 random, 4 boundary."""
    rng = np.random.default_rng(415)
    drawn = []
    for _ in range(10):
        n, p = int(rng.integers(3, 40)), int(rng.integers(0, 3))
        drawn.append((n, p, int(rng.integers(1, n + 1))))
    _against("filter_size_for", filter_size_for,
             [(n, conv_size(n, k, p), {"padding": p}) for n, p, k in drawn + [(10, 0, 10), (10, 0, 1), (3, 2, 6),
                                                                              (8, 1, 3)]],
             expect_whole_number)


@one_thread
def grade_lenet(lenet_filter_sizes: Any, lenet_f1_input: Any, lenet_total_params: Any, filter_size_for: Fn,
                conv_layer_params: Fn, dense_layer_params: Fn) -> None:
    """Task 4.4: the kernel sides of C1 and C2, F1's input size and the total, against LeNet-5 run in torch; the
    sides and the total may also be what the student's own functions give."""
    ks = [kernel_for(n_in, n_out) for n_in, n_out in LENET_SIDES]
    mine = [_follow(filter_size_for, n_in, n_out) for n_in, n_out in LENET_SIDES]
    mine = None if any(k is None or k.shape for k in mine) else [float(k) for k in mine]
    _one_of(expect_close, lenet_filter_sizes, [ks, mine], "lenet_filter_sizes",
            hint="the kernel that turns each tabulated input side into the next one (stride 1, no padding).")
    f1 = lenet_flat(*ks)
    expect_whole_number(lenet_f1_input, f1, "lenet_f1_input", hint="channels x height x width after P2.")
    totals = [lenet_total(*ks, f1)]
    for sides in [ks] + ([mine] if mine else []):
        try:
            totals.append(float(lenet_total(*sides, f1, conv=_counter(conv_layer_params),
                                            dense=_counter(dense_layer_params))))
        except CheckFailed:
            continue
    _one_of(expect_whole_number, lenet_total_params, totals, "lenet_total_params",
            hint="two convolution layers and three dense layers, every one with biases.")


def _counter(fn: Fn) -> Fn:
    """A student's counting function that gives a number or fails with CheckFailed."""
    def count(*args: Any) -> float:
        value = _follow(fn, *args)
        if value is None or value.shape:
            raise CheckFailed("not a number")
        return float(value)
    return count


# ---------------------------------------------------------------------------------------------------------
# 5. Self-attention over pixels
# ---------------------------------------------------------------------------------------------------------


@one_thread
def grade_attention_probabilities(attention_probabilities: Fn) -> None:
    """Task 5.1 against one softmax per query, for random pixels, a single pixel, zeros and larger scores."""
    rng = np.random.default_rng(416)
    inputs = [rng.uniform(-2.5, 2.5, size=L) for L in [3, 7, 12]]
    inputs += [np.array([0.8]), np.zeros(4), np.array([-3.0, 3.0, 0.5, 4.5, 0.5])]
    _against("attention_probabilities", attention_probabilities, [(x,) for x in inputs], expect_close,
             rtol=1e-9, atol=1e-12, hint="row i is the softmax over the keys j of x'_i x'_j.")


@one_thread
def grade_attention_output(attention_output: Fn) -> None:
    """Task 5.2 against ``F.scaled_dot_product_attention``, run with correct attention probabilities."""
    rng = np.random.default_rng(417)
    images = [rng.uniform(-2, 2, size=shape) for shape in [(2, 3), (4, 4), (5, 3)]]
    images += [np.array([[1.3]]), np.full((3, 3), -0.7), np.random.default_rng(4170).uniform(-2, 2, size=(1, 6))]
    _against("attention_output", attention_output, [(image.reshape(-1),) for image in images], expect_close,
             rtol=1e-9, atol=1e-12, hint="output i = sum_j P[i, j] x'_j.")
