"""The public checks of notebook 04 accept correct answers and reject typical mistakes.

Correct answers here are written with PyTorch, so they share no code with the notebook's reference solutions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from helpers.checks import CheckFailed
from helpers.checks import a04_conv_pool_arithmetic as checks


def _conv1d_size(n, k, padding=0, stride=1):
    return F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=stride, padding=padding).shape[-1]


def _xcorr(x, w, padding=0, stride=1):
    t = F.conv2d(torch.tensor(np.array(x, float))[None, None], torch.tensor(np.array(w, float))[None, None],
                 stride=stride, padding=padding)
    return t[0, 0].numpy()


def _pool(x, size, stride):
    return F.avg_pool2d(torch.tensor(np.asarray(x, float))[None, None], size, stride=stride)[0, 0].numpy()


def _same_padding(k):
    if k % 2 == 0:
        raise ValueError("even kernel")
    return next(p for p in range(k) if _conv1d_size(k + 4, k, padding=p) == k + 4)


def _valid(n, k, padding, stride):
    if k > n + 2 * padding:
        return False
    return _conv1d_size(n, k, padding, stride) * stride - stride + k == n + 2 * padding


def _strides(n, k, padding):
    return [s for s in range(1, 3 * (n + 2 * padding) + 2) if _conv1d_size(n, k, padding, s) == n]


def _matrix(w, h, wd):
    cols = []
    for j in range(h * wd):
        e = np.zeros(h * wd)
        e[j] = 1.0
        cols.append(_xcorr(e.reshape(h, wd), w).reshape(-1))
    return np.stack(cols, axis=1)


def _count(module):
    return sum(p.numel() for p in module.parameters())


def _probs(x):
    t = torch.tensor(np.asarray(x, float))
    return torch.softmax(t[:, None] * t[None, :], dim=1).numpy()


def test_correct_answers_pass():
    checks.check_conv_output_size(_conv1d_size)
    checks.check_same_padding(_same_padding)
    checks.check_is_valid_stride(_valid)
    checks.check_strides_keeping_size(_strides)
    checks.check_cross_correlate2d(_xcorr)
    checks.check_avg_pool2d(_pool)
    checks.check_pool_as_conv(np.full((2, 2), 0.25), 2, 0)
    checks.check_conv_output_shape(lambda h, w, m, n: _xcorr(np.zeros((h, w)), np.zeros((m, n))).shape)
    checks.check_conv_matrix(_matrix, _xcorr)
    checks.check_conv_layer_params(lambda ci, co, kh, kw, bias=True: _count(nn.Conv2d(ci, co, (kh, kw), bias=bias)))
    checks.check_dense_layer_params(lambda a, b, bias=True: _count(nn.Linear(a, b, bias=bias)))
    checks.check_same_output_size(lambda n, s: math.ceil(n / s))
    checks.check_filter_size_for(lambda a, b, padding=0: next(k for k in range(1, a + 2 * padding + 1)
                                                            if _conv1d_size(a, k, padding) == b))
    checks.check_lenet_answers((5, 5), 256, 44426)
    checks.check_attention_probabilities(_probs)
    checks.check_attention_output(lambda x: _probs(x) @ np.asarray(x, float), _probs)


@pytest.mark.parametrize("check, answer", [
    (checks.check_conv_output_size, lambda n, k, padding=0, stride=1: math.ceil((n + 2 * padding - k) / stride) + 1),
    (checks.check_same_padding, lambda k: k // 2),
    (checks.check_is_valid_stride, lambda n, k, padding, stride: (n + 2 * padding - k) % stride == 0),
    (checks.check_cross_correlate2d, lambda x, w, padding=0, stride=1: _xcorr(x, np.asarray(w)[::-1, ::-1],
                                                                               padding, stride)),
    (checks.check_avg_pool2d, lambda x, size, stride: _pool(x, size, stride) * size * size),
    (checks.check_attention_probabilities, lambda x: _probs(x).T),
])
def test_typical_mistakes_fail(check, answer):
    with pytest.raises(CheckFailed):
        check(answer)


def test_a_transposed_matrix_fails():
    with pytest.raises(CheckFailed, match="H' W' rows"):
        checks.check_conv_matrix(lambda w, h, wd: _matrix(w, h, wd).T, _xcorr)


def test_is_valid_stride_refuses_non_booleans():
    with pytest.raises(CheckFailed, match="True or False"):
        checks.check_is_valid_stride(lambda n, k, padding, stride: 1)
