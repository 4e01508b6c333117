"""Public checks for notebook 04 (convolution and pooling arithmetic).

They test properties every correct answer has and small worked examples that
are not the assignment's own (a kernel with a single 1 that shows whether the
kernel is flipped, a 4 x 4 ramp to pool, a 1 x 1 filter whose matrix is a
multiple of the identity), never the numbers the notebook asks for: those are
graded by hidden tests against PyTorch and brute-force loops.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (  # noqa: F401 - expect_whole_number and the rest are used by notebook 04 as checks.*
    CheckFailed,
    as_float_array,
    call_quietly,
    expect_bool,
    expect_callable,
    expect_close,
    expect_int,
    expect_raises_value_error,
    expect_shape,
    expect_shape_hint,
    expect_whole_number,
    passed,
)

Fn = Callable[..., Any]

# A map with distinct entries: any shift, flip or transposition changes it.
_RAMP = np.arange(24, dtype=float).reshape(4, 6) ** 1.5 / 7.0


def _passes(check: Callable[..., None], *args: Any) -> bool:
    """Whether ``check(*args)`` passes; run without printing its ``[ok]`` line."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            check(*args)
        except Exception:  # noqa: BLE001 - a student's function may raise anything, NotImplementedError included
            return False
    return True


def _skipped(what: str, dependency: str) -> None:
    """Say that the checks of ``what`` that depend on the student's ``dependency`` wait until it passes its own."""
    print(f"[skipped] {what}: your `{dependency}` does not pass its own checks yet, so these checks would blame "
          f"the wrong task; fix `{dependency}` first (the grader checks this task with a correct `{dependency}`).")


# ---------------------------------------------------------------------------------------------------------
# 1. Sizes
# ---------------------------------------------------------------------------------------------------------


def check_conv_output_size(conv_output_size: Fn) -> None:
    """Worked examples: a 3-wide kernel on 7 pixels, with padding, with stride, with both, and an uneven fit."""
    expect_callable(conv_output_size, "conv_output_size")
    expect_int(
        call_quietly(conv_output_size, 7, 3),
        5,
        "conv_output_size(7, 3)",
        hint="a 3-wide window fits at 5 positions of a 7-wide input.",
    )
    expect_int(
        call_quietly(conv_output_size, 7, 3, padding=2),
        9,
        "conv_output_size(7, 3, padding=2)",
        hint="padding adds zeros on both sides, so the input becomes 7 + 2 * 2 wide.",
    )
    expect_whole_number(call_quietly(conv_output_size, 9, 3, stride=3), 3, "conv_output_size(9, 3, stride=3)")
    expect_int(
        call_quietly(conv_output_size, 8, 3, padding=1, stride=2),
        4,
        "conv_output_size(8, 3, padding=1, stride=2)",
        hint="pad first, then slide: the padded input is 10 wide and windows start at 0, 2, 4 and 6.",
    )
    expect_int(
        call_quietly(conv_output_size, 10, 3, stride=3),
        3,
        "conv_output_size(10, 3, stride=3)",
        hint="a window that would stick out past the border is dropped: round down.",
    )
    passed("conv_output_size: five worked examples, including one that rounds down")


def check_same_padding(same_padding: Fn) -> None:
    """A 1 x 1 kernel needs no padding; an even kernel cannot keep the size with symmetric padding."""
    expect_callable(same_padding, "same_padding")
    expect_int(call_quietly(same_padding, 1), 0, "same_padding(1)")
    p = expect_shape(call_quietly(same_padding, 9), (), "same_padding(9)")
    if 9 + 2 * p - 9 + 1 != 9:
        raise CheckFailed(
            f"with same_padding(9) = {p:g} a 9 x 9 kernel on a 9 x 9 map gives a "
            f"{9 + 2 * p - 9 + 1:g} x {9 + 2 * p - 9 + 1:g} map, not 9 x 9."
        )
    expect_raises_value_error(
        same_padding,
        (4,),
        "same_padding(4)",
        hint="an even kernel would need half a pixel of zeros on each side.",
    )
    passed("same_padding: 1 x 1 and 9 x 9 kernels keep the size; an even kernel is refused")


def check_is_valid_stride(is_valid_stride: Fn) -> None:
    """Windows that tile the padded input exactly, and ones that leave pixels over."""
    expect_callable(is_valid_stride, "is_valid_stride")
    expect_bool(
        call_quietly(is_valid_stride, 7, 3, 0, 2),
        True,
        "is_valid_stride(7, 3, 0, 2)",
        hint="windows start at 0, 2, 4 and the last one ends exactly at the border.",
    )
    expect_bool(
        call_quietly(is_valid_stride, 8, 3, 0, 2),
        False,
        "is_valid_stride(8, 3, 0, 2)",
        hint="windows start at 0, 2 and 4; one at 6 would stick out, so the last column is never covered.",
    )
    expect_bool(
        call_quietly(is_valid_stride, 7, 3, 1, 3),
        True,
        "is_valid_stride(7, 3, 1, 3)",
        hint="padding makes the input 9 wide, and windows start at 0, 3 and 6.",
    )
    expect_bool(
        call_quietly(is_valid_stride, 2, 5, 1, 1),
        False,
        "is_valid_stride(2, 5, 1, 1)",
        hint="a kernel larger than the padded input fits nowhere.",
    )
    passed("is_valid_stride: exact fits, a leftover column and a kernel that is too large")


def check_strides_keeping_size(strides_keeping_size: Fn, conv_output_size: Fn | None = None) -> None:
    """Worked examples with no padding and with a lot of padding.

    With ``conv_output_size`` (which the task may use), the worked examples wait until it passes its own checks.
    """
    expect_callable(strides_keeping_size, "strides_keeping_size")
    got = as_float_array(call_quietly(strides_keeping_size, 6, 3, 0), "strides_keeping_size(6, 3, 0)")
    if conv_output_size is not None and not _passes(check_conv_output_size, conv_output_size):
        _skipped("strides_keeping_size", "conv_output_size")
        return
    expect_close(
        got.reshape(-1),
        np.zeros(0),
        "strides_keeping_size(6, 3, 0)",
        hint="without padding a 3 x 3 kernel always shrinks the map: the list is empty.",
    )
    expect_close(
        call_quietly(strides_keeping_size, 4, 1, 3),
        [3],
        "strides_keeping_size(4, 1, 3)",
        hint="with 3 zeros on each side the input is 10 wide; check every stride.",
    )
    passed("strides_keeping_size: an empty answer and one with stride 3")


# ---------------------------------------------------------------------------------------------------------
# 2. Cross-correlation and pooling
# ---------------------------------------------------------------------------------------------------------


def check_cross_correlate2d(cross_correlate2d: Fn) -> None:
    """Shapes, a kernel with a single 1 (no flipping), the identity kernel with padding 1, and stride 2."""
    expect_callable(cross_correlate2d, "cross_correlate2d")
    x = _RAMP.copy()
    w = np.random.default_rng(4).normal(size=(2, 3))
    expect_shape(
        call_quietly(cross_correlate2d, x, w), (3, 4), "cross_correlate2d(x, w) for x 4 x 6, w 2 x 3"
    )
    expect_shape(
        call_quietly(cross_correlate2d, x, w, padding=1),
        (5, 6),
        "cross_correlate2d(x, w, padding=1) for x 4 x 6, w 2 x 3",
    )
    corner = np.zeros((3, 3))
    corner[0, 0] = 1.0
    expect_close(
        call_quietly(cross_correlate2d, x, corner),
        x[:2, :4],
        "x cross-correlated with a kernel whose only 1 is in its top-left corner",
        hint="out[i, j] = sum_{a,b} x[i + a, j + b] w[a, b]: deep-learning 'convolution' does not flip "
        "the kernel, so this kernel copies the top-left part of x.",
    )
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    expect_close(
        call_quietly(cross_correlate2d, x, centre, padding=1),
        x,
        "x with the identity kernel and padding 1",
        hint="zero padding adds one row/column of zeros on every side.",
    )
    ones = np.ones((2, 2))
    expect_close(
        call_quietly(cross_correlate2d, x, ones, stride=2),
        x.reshape(2, 2, 3, 2).sum(axis=(1, 3)),
        "x with a 2 x 2 kernel of ones and stride 2",
        hint="with stride s, output (i, j) starts at (s i, s j).",
    )
    passed("cross_correlate2d: shapes, no flipping, zero padding and stride")


def check_avg_pool2d(avg_pool2d: Fn) -> None:
    """A constant map, a 4 x 4 ramp, an odd-sized map (round down) and overlapping windows."""
    expect_callable(avg_pool2d, "avg_pool2d")
    expect_close(
        call_quietly(avg_pool2d, np.full((4, 6), 2.5), 2, 2),
        np.full((2, 3), 2.5),
        "average pooling of a constant 4 x 6 map",
        hint="the average of a constant is that constant.",
    )
    ramp = np.arange(16.0).reshape(4, 4)
    expect_close(
        call_quietly(avg_pool2d, ramp, 2, 2),
        [[2.5, 4.5], [10.5, 12.5]],
        "avg_pool2d(0..15 as 4 x 4, 2, 2)",
        hint="the top-left window holds 0, 1, 4, 5 with mean 2.5.",
    )
    expect_shape_hint(
        call_quietly(avg_pool2d, np.ones((5, 7)), 2, 2),
        (2, 3),
        "avg_pool2d of a 5 x 7 map with size 2, stride 2",
        "windows that do not fit completely are dropped (PyTorch's default).",
    )
    expect_close(
        call_quietly(avg_pool2d, ramp, 3, 1), [[5.0, 6.0], [9.0, 10.0]], "avg_pool2d(0..15 as 4 x 4, 3, 1)"
    )
    passed("avg_pool2d: constant map, worked example, rounding down and overlapping windows")


def check_pool_as_conv(pool_filter: Any, pool_stride: Any, pool_padding: Any) -> None:
    """Types and shapes of the answer to (d), and the one property any averaging filter has."""
    w = expect_shape(pool_filter, (None, None), "pool_filter_d")
    expect_shape(pool_stride, (), "pool_stride_d")
    expect_shape(pool_padding, (), "pool_padding_d")
    if not np.isclose(w.sum(), 1.0):
        raise CheckFailed(
            f"the entries of `pool_filter_d` add up to {w.sum():g}; an average of a constant map must "
            "give back that constant, so they should add up to 1."
        )
    passed("(d): a 2-D filter whose entries add up to 1, a stride and a padding")


# ---------------------------------------------------------------------------------------------------------
# 3. Convolution as a matrix
# ---------------------------------------------------------------------------------------------------------


def check_conv_output_shape(conv_output_shape: Fn) -> None:
    """A 6 x 9 image and a 2 x 4 filter."""
    expect_callable(conv_output_shape, "conv_output_shape")
    got = call_quietly(conv_output_shape, 6, 9, 2, 4)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(f"conv_output_shape(6, 9, 2, 4) is {got!r:.60}; it should be a tuple of two ints.")
    expect_int(got[0], 5, "conv_output_shape(6, 9, 2, 4)[0]", hint="the rows of z.")
    expect_int(got[1], 6, "conv_output_shape(6, 9, 2, 4)[1]", hint="the columns of z.")
    passed("conv_output_shape: a worked example")


def check_conv_matrix(conv_matrix: Fn, cross_correlate2d: Fn) -> None:
    """Shape, a 1 x 1 filter (a multiple of I), row sums, and M x' against your cross_correlate2d (once that
    passes its own checks)."""
    expect_callable(conv_matrix, "conv_matrix")
    w = np.random.default_rng(5).normal(size=(2, 3))
    m = expect_shape_hint(
        call_quietly(conv_matrix, w, 4, 6),
        (3 * 4, 24),
        "conv_matrix(w, 4, 6) for a 2 x 3 filter",
        "M maps x' (length H W) to z' (length H' W'): it has H' W' rows and H W columns.",
    )
    expect_close(
        call_quietly(conv_matrix, np.array([[2.0]]), 3, 4),
        2 * np.eye(12),
        "conv_matrix([[2]], 3, 4)",
        hint="a 1 x 1 filter multiplies every pixel by its weight.",
    )
    expect_close(
        m.sum(axis=1),
        np.full(12, w.sum()),
        "the row sums of M",
        hint="each output pixel uses every filter weight exactly once (no padding).",
    )
    if not _passes(check_cross_correlate2d, cross_correlate2d):
        _skipped("conv_matrix compared with cross_correlate2d", "cross_correlate2d")
        return
    x = _RAMP.copy()
    expect_close(
        m @ x.reshape(-1),
        as_float_array(call_quietly(cross_correlate2d, x, w), "cross_correlate2d(x, w)").reshape(-1),
        "M x' compared with your cross_correlate2d(x, w) flattened row by row",
        hint="vec() reads the image row by row: x'[a W + b] = x[a, b].",
    )
    passed("conv_matrix: shape, 1 x 1 filter, row sums and agreement with your cross_correlate2d")


# ---------------------------------------------------------------------------------------------------------
# 4. Parameter counts
# ---------------------------------------------------------------------------------------------------------


def check_conv_layer_params(conv_layer_params: Fn) -> None:
    """Tiny convolution layers whose weights can be counted on one hand, with and without biases."""
    expect_callable(conv_layer_params, "conv_layer_params")
    expect_whole_number(call_quietly(conv_layer_params, 1, 1, 1, 1), 2, "conv_layer_params(1, 1, 1, 1)")
    expect_whole_number(
        call_quietly(conv_layer_params, 3, 2, 1, 1),
        8,
        "conv_layer_params(3, 2, 1, 1)",
        hint="each of the 2 filters is 1 x 1 and 3 channels deep, plus one bias per filter.",
    )
    expect_whole_number(
        call_quietly(conv_layer_params, 3, 2, 1, 1, bias=False), 6, "conv_layer_params(3, 2, 1, 1, bias=False)"
    )
    passed("conv_layer_params: worked examples with and without biases")


def check_dense_layer_params(dense_layer_params: Fn) -> None:
    """A 4 -> 3 dense layer, with and without biases."""
    expect_callable(dense_layer_params, "dense_layer_params")
    expect_whole_number(
        call_quietly(dense_layer_params, 4, 3),
        15,
        "dense_layer_params(4, 3)",
        hint="a 4 x 3 weight matrix and one bias per output.",
    )
    expect_whole_number(call_quietly(dense_layer_params, 4, 3, bias=False), 12, "dense_layer_params(4, 3, bias=False)")
    passed("dense_layer_params: worked examples with and without biases")


def check_params_conv_net(params_conv_net: Fn) -> None:
    """A 6 x 6 image and a 3 x 3 filter: z is 4 x 4 and h2 is 2 x 2."""
    expect_callable(params_conv_net, "params_conv_net")
    expect_whole_number(
        call_quietly(params_conv_net, 6, 6, 3, 3),
        9 + 3 * 4,
        "params_conv_net(6, 6, 3, 3)",
        hint="9 filter weights, and an output layer from the 4 entries of h2 to 3 classes.",
    )
    passed("params_conv_net: a worked example")


def check_params_fc_net(params_fc_net: Fn) -> None:
    """A 6 x 6 image and a 3 x 3 filter: h2 has 4 entries."""
    expect_callable(params_fc_net, "params_fc_net")
    expect_whole_number(
        call_quietly(params_fc_net, 6, 6, 3, 3),
        36 * 4 + 3 * 4,
        "params_fc_net(6, 6, 3, 3)",
        hint="a dense layer from 36 pixels to the 4 entries of h2, then the same output layer.",
    )
    passed("params_fc_net: a worked example")


def check_same_output_size(same_output_size: Fn) -> None:
    """SAME padding with stride 2 on an even and an odd size, and with stride 1."""
    expect_callable(same_output_size, "same_output_size")
    expect_whole_number(call_quietly(same_output_size, 10, 2), 5, "same_output_size(10, 2)")
    expect_whole_number(
        call_quietly(same_output_size, 11, 2),
        6,
        "same_output_size(11, 2)",
        hint="windows start at 0, 2, 4, 6, 8 and 10: round up.",
    )
    expect_whole_number(call_quietly(same_output_size, 11, 1), 11, "same_output_size(11, 1)")
    passed("same_output_size: even and odd sizes")


def check_filter_size_for(filter_size_for: Fn) -> None:
    """Kernel sizes recovered from input and output sizes (stride 1)."""
    expect_callable(filter_size_for, "filter_size_for")
    expect_whole_number(call_quietly(filter_size_for, 10, 8), 3, "filter_size_for(10, 8)")
    expect_whole_number(
        call_quietly(filter_size_for, 10, 10, padding=1), 3, "filter_size_for(10, 10, padding=1)"
    )
    passed("filter_size_for: two worked examples")


def check_lenet_answers(filter_sizes: Any, f1_input: Any, total: Any) -> None:
    """Types only: the values are graded by the hidden tests."""
    sizes = expect_shape(filter_sizes, (2,), "lenet_filter_sizes")
    expect_shape(f1_input, (), "lenet_f1_input")
    expect_shape(total, (), "lenet_total_params")
    for name, value in [
        ("lenet_filter_sizes", sizes),
        ("lenet_f1_input", f1_input),
        ("lenet_total_params", total),
    ]:
        v = np.asarray(value, dtype=float)
        if np.any(v != np.round(v)) or np.any(v <= 0):
            raise CheckFailed(f"`{name}` should hold positive whole numbers, but it holds {v}.")
    passed("LeNet-5: two filter sizes, an input size and a total, all positive whole numbers")


# ---------------------------------------------------------------------------------------------------------
# 5. Self-attention over pixels
# ---------------------------------------------------------------------------------------------------------


def check_attention_probabilities(attention_probabilities: Fn) -> None:
    """Shape, rows that are probability distributions, constant inputs and a two-pixel worked example."""
    expect_callable(attention_probabilities, "attention_probabilities")
    x = np.array([0.5, -1.0, 2.0, 0.0, 1.5])
    p = expect_shape(
        call_quietly(attention_probabilities, x), (5, 5), "attention_probabilities(x) for 5 pixels"
    )
    if np.any(p < 0):
        raise CheckFailed("attention probabilities cannot be negative.")
    expect_close(
        p.sum(axis=1),
        np.ones(5),
        "the row sums of the attention probabilities",
        hint="row i is the distribution of query i over all keys j: normalise over j.",
    )
    expect_close(
        call_quietly(attention_probabilities, np.zeros(4)),
        np.full((4, 4), 0.25),
        "attention_probabilities of four zeros",
        hint="equal scores give equal weights.",
    )
    e = np.e
    expect_close(
        call_quietly(attention_probabilities, np.array([0.0, 1.0])),
        [[0.5, 0.5], [1 / (1 + e), e / (1 + e)]],
        "attention_probabilities([0, 1])",
        hint="the scores are x_i x_j: [[0, 0], [0, 1]].",
    )
    passed("attention_probabilities: shape, rows sum to 1, uniform for constant scores, a worked example")


def check_attention_output(attention_output: Fn, attention_probabilities: Fn) -> None:
    """Shape, and the output as the probability-weighted average of the values (with your probabilities, once
    they pass their own checks)."""
    expect_callable(attention_output, "attention_output")
    x = np.array([0.5, -1.0, 2.0, 0.0, 1.5])
    out = expect_shape(call_quietly(attention_output, x), (5,), "attention_output(x) for 5 pixels")
    if not _passes(check_attention_probabilities, attention_probabilities):
        _skipped("attention_output", "attention_probabilities")
        return
    p = expect_shape(call_quietly(attention_probabilities, x), (5, 5), "attention_probabilities(x)")
    expect_close(
        out,
        p @ x,
        "attention_output(x) compared with your probabilities times the values",
        hint="output i = sum_j p_ij v_j with v_j = x_j.",
    )
    expect_close(
        call_quietly(attention_output, np.full(3, -0.7)),
        np.full(3, -0.7),
        "attention_output of a constant",
        hint="an average of equal values is that value.",
    )
    passed("attention_output: shape, weighted average of the values, constant input")
