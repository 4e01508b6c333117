"""Edge cases of notebook 04's grading functions that the catalogue does not reach (seconds)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from helpers.checks import CheckFailed
from instructor.grading import a04_conv_pool_arithmetic as g


def test_the_oracles_agree_with_each_other_and_with_the_formulas():
    for n, k, p, s in [(10, 3, 0, 3), (9, 4, 2, 6), (1, 1, 0, 1), (5, 1, 0, 7)]:
        assert g.conv_size(n, k, p, s) == (n + 2 * p - k) // s + 1
        assert g.windows_tile(n, k, p, s) == ((n + 2 * p - k) % s == 0)
    assert [g.same_pad(k) for k in (1, 3, 5, 31)] == [0, 1, 2, 15]
    with pytest.raises(ValueError):
        g.same_pad(4)
    assert g.size_keeping_strides(2, 3, 4) == [4, 5, 6, 7]
    w, x = np.random.default_rng(0).normal(size=(2, 3)), np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(g.conv_matrix_of(w, 4, 5) @ x.reshape(-1), g.xcorr(x, w).reshape(-1), atol=1e-12)
    v = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(g.attention_probs(v) @ v, g.attention_out(v), rtol=1e-12)
    assert g.conv_params(6, 16, 5, 5) == 2416 and g.dense_params(256, 120) == 30840
    assert g.lenet_flat(5, 5) == 256 and g.lenet_total(5, 5, 256) == 44426
    assert g.conv_net_params(6, 6, 3, 3) == 9 + 3 * 4 and g.fc_net_params(6, 6, 3, 3) == 36 * 4 + 3 * 4


def _notebook(code: str) -> dict:
    namespace: dict = {"__name__": "__main__", "np": np}
    exec(code, namespace)  # noqa: S102 - a student's notebook, in small
    return namespace


def test_a_function_and_its_helpers_run_with_the_references_and_the_notebook_is_left_alone():
    ns = _notebook(
        "def conv_output_size(n, k, padding=0, stride=1):\n    return -1\n"
        "def _fits(n, k, padding, s):\n    return conv_output_size(n, k, padding, s) == n\n"
        "def strides_keeping_size(n, k, padding):\n"
        "    return [s for s in range(1, n + 2 * padding - k + 2) if _fits(n, k, padding, s)]\n")
    wrong, helper = ns["conv_output_size"], ns["_fits"]
    g.grade_strides_keeping_size(ns["strides_keeping_size"])
    assert ns["conv_output_size"] is wrong and ns["_fits"] is helper and wrong(5, 3) == -1


def test_callables_that_are_not_plain_functions_are_graded_as_they_are():
    g.grade_conv_output_size(functools.partial(g.conv_size))
    g.grade_same_output_size(type("Counter", (), {"__call__": lambda self, n, stride: -(-n // stride)})())


def test_an_input_changed_in_place_is_named():
    def avg_pool2d(x, size, stride):
        x = np.asarray(x, dtype=float)
        x /= size * size
        return g.avg_pool(x, size, stride) * size * size

    with pytest.raises(CheckFailed, match=r"`avg_pool2d` changed its input `x` in place"):
        g.grade_avg_pool2d(avg_pool2d)

    def attention_output(x_flat):
        x_flat[:] = g.attention_out(x_flat)
        return x_flat

    with pytest.raises(CheckFailed, match=r"`attention_output` changed its input `x_flat` in place"):
        g.grade_attention_output(attention_output)


def test_the_torch_thread_count_is_restored_even_when_grading_fails():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with pytest.raises(CheckFailed):
            g.grade_conv_output_size(lambda n, k, padding=0, stride=1: 0)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_follow_through_accepts_only_what_the_students_own_functions_give():
    right_map = g.xcorr(g.FMAP, g.FILTER1, 1)
    g.grade_part_c(g.avg_pool(2 * right_map, 2, 2), 2 * right_map, g.avg_pool)  # their map_a, pooled right
    g.grade_part_c(np.ones((2, 2)), right_map, lambda x, size, stride: np.ones((2, 2)))  # their pooling
    with pytest.raises(CheckFailed, match="pooled_c"):
        g.grade_part_c(g.avg_pool(g.FMAP, 2, 2), right_map, g.avg_pool)
    flipped = g.xcorr(g.FMAP, g.FILTER1[::-1, ::-1], 1)  # a true convolution, from their cross_correlate2d
    g.grade_part_a(1, flipped, lambda x, w, padding=0, stride=1: g.xcorr(x, w[::-1, ::-1], padding))
    with pytest.raises(CheckFailed, match="map_a"):
        g.grade_part_a(1, flipped, g.xcorr)


def test_a_broken_earlier_function_leaves_only_the_right_answer():
    def broken(*args, **kwargs):
        raise NotImplementedError("Task 'filter_size_for' is not done yet")

    g.grade_lenet((5, 5), 256, 44426, broken, broken, broken)
    with pytest.raises(CheckFailed, match=r"`lenet_total_params` is 44425, but it should be 44426"):
        g.grade_lenet((5, 5), 256, 44425, broken, g.conv_params, g.dense_params)
    g.grade_q2_cnn([(100, 150), (50, 75), (25, 38)], 903400, broken, broken)
    with pytest.raises(CheckFailed, match="q2_map_sizes"):
        g.grade_q2_cnn([(100, 150), (50, 75), (25, 37)], 903400, broken, broken)


def test_same_padding_needs_a_reason_and_part_d_a_whole_stride():
    def same_padding(k):
        if k % 2 == 0:
            raise ValueError
        return (k - 1) // 2

    with pytest.raises(CheckFailed, match="without a message"):
        g.grade_same_padding(same_padding)
    with pytest.raises(CheckFailed, match="`pool_stride_d` should be a whole number"):
        g.grade_part_d(np.full((2, 2), 0.25), 2.5, 0)
    with pytest.raises(CheckFailed, match="cannot run"):
        g.grade_part_d(np.full((6, 6), 1 / 36), 2, 0)
    g.grade_part_d(np.full((2, 2), 0.25), 2.0, np.int64(0))
