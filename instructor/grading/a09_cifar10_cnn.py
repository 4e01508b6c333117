"""Hidden tests of notebook 09 (a ResNet-style CNN for CIFAR-10, in PyTorch).

One ``grade_<task>`` function per test cell; each takes the student's objects that the cell grades and raises
:class:`helpers.checks.CheckFailed` naming the task when something is wrong. :func:`grade_p2_performance` returns
the points instead (nbgrader scores a test cell whose last expression is a number that many points).

Isolation: every task is graded on its own, against oracles written here (brute-force loops, PyTorch's functional
layers, the optimizer's own steps), never against the reference solution. ``cifar_loaders`` runs with this
module's ``channel_stats`` in place of the student's (:func:`helpers.checks.stand_in_for`), so a wrong
``channel_stats`` costs its own points only; ``train_step`` and ``evaluate`` are graded on small networks built
here, never on the student's ``CifarNet``. Inputs are fresh copies, and a task that modifies them in place fails
with a message that says so. The performance cell grades the handed-in weight file through the notebook's own
``P2_MODEL_CLASS`` and falls back to the model the notebook trained only when no file is graded.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers.checks import (
    CheckFailed,
    bracket_points,
    call_quietly,
    expect_close,
    expect_shape,
    expect_unchanged,
    not_handed_in,
    stand_in_for,
)
from helpers.cifar import load_cifar10, training_statistics
from helpers.data import ImageData
from instructor.grading import GradRecorder, one_thread

CPU = torch.device("cpu")


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    """The two parts of a returned pair, or a message saying that a pair was expected."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        length = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise CheckFailed(f"{name} should return a pair of two values, but it returned a value of type "
                          f"{type(value).__name__}{length}.")
    return value[0], value[1]


def _numpy(value: Any) -> np.ndarray:
    """A float64 copy of a tensor or array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.array(value, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------------------
# channel_stats
# ---------------------------------------------------------------------------------------------------------------


def channel_stats_oracle(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population std of images (N, C, H, W), one channel at a time, in float64."""
    means, stds = [], []
    for c in range(images.shape[1]):
        values = np.asarray(images[:, c], dtype=np.float64).ravel()
        mean = values.sum() / values.size
        means.append(mean)
        stds.append(np.sqrt(((values - mean) ** 2).sum() / values.size))
    return np.array(means), np.array(stds)


@one_thread
def grade_channel_stats(channel_stats: Callable[..., Any]) -> None:
    """Channels of very different scales (float64, N, H and W all different from C = 3, then a float32 CIFAR-like
    batch): the mean and the std of each channel against a loop over the channels (ddof 0 or 1), input unchanged."""
    task = "channel_stats"
    rng = np.random.default_rng(901)
    scales, offsets = np.array([1e-3, 50.0, 0.2]), np.array([0.5, 10.0, -2.0])
    cases = [offsets[:, None, None] + scales[:, None, None] * rng.standard_normal((7, 3, 5, 6)),
             rng.uniform(0, 1, (6, 3, 8, 8)).astype(np.float32) * np.array([0.2, 1.0, 0.5], np.float32)[:, None, None]]
    hint = ("one value per channel over every image and every pixel: the channel axis is axis 1 of (N, C, H, W), "
            "so reduce over axes 0, 2 and 3 together.")
    for images in cases:
        n, c, h, w = images.shape
        before = {"images": images.copy()}
        mean, std = _pair(call_quietly(channel_stats, images), f"{task}(images)")
        expect_unchanged(task, before, {"images": images})
        where = f"for images of shape {images.shape}"
        mean = expect_shape(mean, (c,), f"the mean returned by {task} {where}")
        std = expect_shape(std, (c,), f"the std returned by {task} {where}")
        want_mean, want_std = channel_stats_oracle(images)
        rtol = 1e-5 if images.dtype == np.float32 else 1e-9
        expect_close(mean, want_mean, f"the mean returned by {task} {where}", rtol=rtol, atol=0, hint=hint)
        sample = want_std * np.sqrt(n * h * w / (n * h * w - 1))
        if not np.allclose(std, sample, rtol=rtol, atol=0):  # ddof=1 is accepted
            expect_close(std, want_std, f"the std returned by {task} {where}", rtol=rtol, atol=0,
                         hint=hint + " The std is that of all the channel's values together, not an average of "
                                     "per-image stds.")


# ---------------------------------------------------------------------------------------------------------------
# cifar_loaders
# ---------------------------------------------------------------------------------------------------------------

SHIFT = 4
ATOL = 1e-4  # normalised values are at most about 10 in size; float32 rounding and ddof=1 stay far below this


def _images(n: int, centre: list[float], spread: list[float], seed: int) -> ImageData:
    """``n`` images (3, 32, 32) in [0, 1] whose channels have these centres and spreads; label i for image i."""
    rng = np.random.default_rng(seed)
    images = (np.array(centre)[:, None, None] + np.array(spread)[:, None, None]
              * rng.uniform(-1, 1, (n, 3, 32, 32))).astype(np.float32)
    return ImageData(images, np.arange(n, dtype=np.int64), "synthetic", "grading")


def _stats_like_images(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`channel_stats_oracle` in the images' own dtype (float32 here): the stand-in for the student's
    channel_stats while the loaders are graded, so that loaders which do not cast the statistics yield float32
    images here exactly as they do in the notebook."""
    mean, std = channel_stats_oracle(images)
    return mean.astype(images.dtype), std.astype(images.dtype)


def _normalised(images: np.ndarray, stats_of: np.ndarray) -> np.ndarray:
    mean, std = channel_stats_oracle(stats_of)
    return (images.astype(np.float64) - mean[:, None, None]) / std[:, None, None]


def _candidates() -> list[tuple[bool, int, int]]:
    """(mirrored, dy, dx) of every allowed transform, the identity first."""
    moves = [(flip, dy, dx) for flip in (False, True) for dy in range(-SHIFT, SHIFT + 1)
             for dx in range(-SHIFT, SHIFT + 1)]
    moves.remove((False, 0, 0))
    return [(False, 0, 0), *moves]


def _matching_transform(out: np.ndarray, source: np.ndarray, vertical: bool = False) -> np.ndarray:
    """For each image of ``out`` (n, C, H, W), the index in :func:`_candidates` of the first transform of its
    ``source`` image that it equals on the pixels that come from the image (out[r, q] = source[r + dy, q + dx],
    after mirroring the source when asked), or -1. ``vertical`` mirrors upside down instead (for a diagnosis)."""
    found = np.full(len(out), -1)
    height, width = out.shape[2:]
    for k, (flip, dy, dx) in enumerate(_candidates()):
        todo = np.flatnonzero(found < 0)
        if not len(todo):
            break
        src = source[todo]
        if flip:
            src = src[:, :, ::-1, :] if vertical else src[:, :, :, ::-1]
        r0, r1, q0, q1 = max(0, -dy), height - max(0, dy), max(0, -dx), width - max(0, dx)
        a, b = out[todo, :, r0:r1, q0:q1], src[:, :, r0 + dy:r1 + dy, q0 + dx:q1 + dx]
        ok = np.all(np.abs(a - b) <= ATOL + ATOL * np.abs(b), axis=(1, 2, 3))
        found[todo[ok]] = k
    return found


BORDERS = {"zeros": ("constant", None), "zeros before normalising": ("constant", "raw"), "the reflected edge":
           ("reflect", None), "the mirrored edge": ("symmetric", None), "the repeated edge": ("edge", None)}


def _border_fill(out: np.ndarray, source: np.ndarray, moves: np.ndarray, raw_zero: np.ndarray) -> list[str | None]:
    """For each image of ``out`` (n, C, H, W), shifted and mirrored from ``source`` as ``moves`` (indices of
    :func:`_candidates`) says, the name of the fill of :data:`BORDERS` its shifted-in border matches, or None.
    ``raw_zero`` (C,): where a black pixel lands after normalising (augmentation before normalisation)."""
    fills = []
    for image, src, k in zip(out, source, moves):
        flip, dy, dx = _candidates()[k]
        src = src[:, :, ::-1] if flip else src
        height, width = src.shape[1:]
        found = None
        for name, (mode, value) in BORDERS.items():
            pad = ((0, 0), (SHIFT, SHIFT), (SHIFT, SHIFT))
            if mode == "constant" and value == "raw":
                padded = np.stack([np.pad(channel, SHIFT, constant_values=z) for channel, z in zip(src, raw_zero)])
            else:
                padded = np.pad(src, pad, mode=mode)
            want = padded[:, SHIFT + dy:SHIFT + dy + height, SHIFT + dx:SHIFT + dx + width]
            if np.all(np.abs(image - want) <= ATOL + ATOL * np.abs(want)):
                found = name
                break
        fills.append(found)
    return fills


def _epoch(loader: Any, name: str, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The images (float64) and labels of one pass over ``loader``, the batches checked for shape and size."""
    xs, ys = [], []
    try:
        for batch in loader:
            x, y = _pair(batch, f"a batch of the {name}")
            if not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (3, 32, 32):
                raise CheckFailed(f"cifar_loaders: the {name} should yield images as a tensor of shape "
                                  f"(B, 3, 32, 32), found {type(x).__name__} {tuple(getattr(x, 'shape', ()))}.")
            if x.dtype != torch.float32:
                raise CheckFailed(f"cifar_loaders: the {name} yields images of dtype {x.dtype}; the network's weights "
                                  "are float32, so the images must be float32 too (cast the statistics or the "
                                  "normalised arrays with np.float32).")
            if not isinstance(y, torch.Tensor) or y.dtype != torch.int64:
                raise CheckFailed(f"cifar_loaders: the {name} yields labels of type "
                                  f"{getattr(y, 'dtype', type(y).__name__)}; the loss needs a tensor of int64 classes "
                                  "(keep the labels as they are in the data).")
            if not 0 < len(x) <= batch_size or len(y) != len(x):
                raise CheckFailed(f"cifar_loaders: a batch of the {name} holds {len(x)} images and {len(y)} labels; "
                                  f"batches should hold batch_size = {batch_size} examples (the last may be smaller).")
            xs.append(_numpy(x))
            ys.append(np.asarray(_numpy(y), dtype=np.int64))
    except CheckFailed:
        raise
    except Exception as error:
        raise CheckFailed(f"cifar_loaders: iterating over the {name} failed: {type(error).__name__}: {error}") from None
    if not xs:
        raise CheckFailed(f"cifar_loaders: the {name} yields no batches.")
    return np.concatenate(xs), np.concatenate(ys)


def _test_loader_hint(x: np.ndarray, y: np.ndarray, train: ImageData, test: ImageData) -> str:
    """What a test loader whose images are wrong did, as far as it can be told."""
    both = np.concatenate([train.images, test.images])
    if np.allclose(x, _normalised(test.images, test.images)[y], atol=ATOL, rtol=ATOL):
        return ("the test images are normalised with the test set's own statistics; use the mean and std of the "
                "training images for both sets.")
    if np.allclose(x, _normalised(test.images, both)[y], atol=ATOL, rtol=ATOL):
        return "the statistics come from the training and the test images together; use the training images only."
    if np.all(_matching_transform(x, _normalised(test.images, train.images)[y]) >= 0):
        return "the test images are shifted or mirrored: augment the training loader only, never the test loader."
    return "normalise each channel of the test images with the training set's statistics: (x - mean[c]) / std[c]."


def _check_test_loader(task: str, loader: Any, train: ImageData, test: ImageData, batch_size: int) -> None:
    want = _normalised(test.images, train.images)
    epochs = []
    for _ in range(2):
        x, y = _epoch(loader, "test loader", batch_size)
        if sorted(y.tolist()) != list(range(len(test))):
            raise CheckFailed(f"{task}: one pass over the test loader should give each of the {len(test)} test images "
                              f"exactly once (with its label), found {len(y)} images.")
        if not np.allclose(x, want[y], atol=ATOL, rtol=ATOL):
            raise CheckFailed(f"{task}: the test loader's images are not the normalised test images. Hint: "
                              + _test_loader_hint(x, y, train, test))
        epochs.append(x[np.argsort(y)])
    if not np.array_equal(epochs[0], epochs[1]):
        raise CheckFailed(f"{task}: the test loader gives different images in two passes: it must not be augmented.")


def _check_train_epoch(task: str, x: np.ndarray, y: np.ndarray, train: ImageData, batch_size: int,
                       augment: bool) -> np.ndarray:
    """One epoch of the training loader: every image once (drop_last accepted), each an allowed transform of its
    normalised source; returns the index of the transform of each image."""
    n = len(train)
    if len(set(y.tolist())) != len(y) or not set(y.tolist()) <= set(range(n)) or len(y) <= n - batch_size:
        raise CheckFailed(f"{task}: one pass over the training loader should give each of the {n} training images "
                          f"once (with its label), found {len(y)} images with {len(set(y.tolist()))} different labels.")
    want = _normalised(train.images, train.images)[y]
    if not augment:
        if not np.allclose(x, want, atol=ATOL, rtol=ATOL):
            raise CheckFailed(f"{task}: with augment=False the training loader should give the normalised training "
                              "images unchanged. Hint: (x - mean[c]) / std[c] with the training set's statistics.")
        return np.zeros(len(y), dtype=int)
    found = _matching_transform(x, want)
    if np.any(found < 0):
        first = int(y[np.flatnonzero(found < 0)[0]])
        if np.all(_matching_transform(x, want, vertical=True) >= 0):
            hint = "mirror left to right (flip the last axis, the width), not upside down."
        elif np.all(_matching_transform(x, train.images[y].astype(np.float64)) >= 0):
            hint = "the augmented training images are not normalised; normalise them as the test images."
        else:
            hint = (f"each image may be shifted by at most {SHIFT} pixels in each direction and mirrored left to "
                    f"right: Augmented(loader, shift={SHIFT}, flip=True, seed=seed).")
        raise CheckFailed(f"{task}: {int(np.sum(found < 0))} of {len(y)} augmented training images (the first is "
                          f"training image {first}) are not a shifted and possibly mirrored copy of the normalised "
                          f"training image. Hint: {hint}")
    mean, std = channel_stats_oracle(train.images)
    fills = _border_fill(x, want, found, -mean / std)
    if None in fills:
        first = int(y[fills.index(None)])
        raise CheckFailed(f"{task}: {fills.count(None)} of {len(y)} shifted training images (the first is training "
                          f"image {first}) bring in a border that is not filled with zeros (nor with the image's own "
                          "edge): a shift must not wrap the opposite side of the image around (torch.roll does). "
                          f"Hint: Augmented(loader, shift={SHIFT}, flip=True, seed=seed).")
    return found


@one_thread
def grade_cifar_loaders(cifar_loaders: Callable[..., Any], channel_stats: Any = None) -> None:
    """A training and a test set (64 and 40 images) with different channel statistics, with this module's
    ``channel_stats`` in place of the student's: float32 images and int64 labels; the test loader holds the test
    images normalised with the training statistics (in any order), the same in two passes; the training loader
    gives every image once per pass (the last batch may be dropped) in a new order each pass, each a shifted (-4
    to 4 pixels on both axes, all of them drawn) and, about half of them, mirrored copy of its normalised image,
    the border shifted in filled with zeros or the image's own edge (never wrapped around), two passes different;
    with ``augment=False`` the normalised images themselves; the same seed gives the same batches, another seed
    another order; the inputs stay unchanged. (``channel_stats``, the student's, is not called.)"""
    task = "cifar_loaders"
    train = _images(64, [0.25, 0.5, 0.7], [0.05, 0.2, 0.1], seed=911)
    test = _images(40, [0.4, 0.35, 0.6], [0.15, 0.08, 0.2], seed=912)
    before = {"train.images": train.images.copy(), "train.labels": train.labels.copy(),
              "test.images": test.images.copy(), "test.labels": test.labels.copy()}

    def current() -> dict[str, np.ndarray]:
        return {"train.images": train.images, "train.labels": train.labels, "test.images": test.images,
                "test.labels": test.labels}

    with stand_in_for(cifar_loaders, "channel_stats", _stats_like_images):
        for augment, batch_size in ((True, 16), (False, 24)):
            loaders = _pair(call_quietly(cifar_loaders, train, test, batch_size, augment=augment, seed=913),
                            f"{task}(train, test, {batch_size}, augment={augment})")
            expect_unchanged(task, before, current())
            _check_test_loader(task, loaders[1], train, test, batch_size)
            epochs = [_epoch(loaders[0], "training loader", batch_size) for _ in range(2)]
            expect_unchanged(task, before, current())
            moves = [_check_train_epoch(task, x, y, train, batch_size, augment) for x, y in epochs]
            if augment:
                drawn = np.array(_candidates())[np.concatenate(moves)]  # (mirrored, dy, dx) of every image
                moved = float(np.mean(np.any(drawn != 0, axis=1)))
                mirrored = float(np.mean(drawn[:, 0]))
                use = f"Augmented(loader, shift={SHIFT}, flip=True, seed=seed)"
                if moved < 0.3:
                    raise CheckFailed(f"{task}: only {100 * moved:.0f} % of the augmented training images are shifted "
                                      f"or mirrored. Hint: with augment=True wrap the training loader in {use}.")
                if not 0.25 <= mirrored <= 0.75:  # 128 draws: a fair coin leaves this band once in 10^8
                    raise CheckFailed(f"{task}: {100 * mirrored:.0f} % of the augmented training images are mirrored; "
                                      f"about half should be (probability 1/2). Hint: {use}.")
                for axis, what in ((1, "down and up"), (2, "right and left")):
                    low, high = int(drawn[:, axis].min()), int(drawn[:, axis].max())
                    if (low, high) != (-SHIFT, SHIFT):  # 128 draws from -4..4 miss an end once in 10^6
                        raise CheckFailed(f"{task}: the shifts {what} of the augmented training images range from "
                                          f"{low} to {high} pixels; up to {SHIFT} pixels in each direction are asked "
                                          f"for (-{SHIFT} to {SHIFT}). Hint: {use}.")
                (x1, y1), (x2, y2) = epochs
                _, i1, i2 = np.intersect1d(y1, y2, return_indices=True)
                if np.array_equal(x1[i1], x2[i2]):
                    raise CheckFailed(f"{task}: the augmented training images are the same in two passes; draw new "
                                      "shifts and flips for every batch (Augmented does).")
            elif all(np.array_equal(y, np.arange(len(y))) for _, y in epochs):
                raise CheckFailed(f"{task}: the training loader gives the images in their stored order; reshuffle it "
                                  "every epoch (make_loader(..., shuffle=True, seed=seed)).")
            if np.array_equal(epochs[0][1], epochs[1][1]):
                raise CheckFailed(f"{task}: the training loader gives the images in the same order in two passes; it "
                                  "should reshuffle them every epoch (make_loader(..., shuffle=True, seed=seed)).")
        _check_seed(cifar_loaders, train, test)


def _check_seed(cifar_loaders: Callable[..., Any], train: ImageData, test: ImageData) -> None:
    """The same ``seed`` gives the same first epoch of the training loader; another seed another order."""
    task = "cifar_loaders"
    firsts = []
    for seed in (913, 913, 914):
        loader = _pair(call_quietly(cifar_loaders, train, test, 16, augment=True, seed=seed), task)[0]
        firsts.append(_epoch(loader, "training loader", 16))
    (x1, y1), (x2, y2), (_, y3) = firsts
    if not (np.array_equal(y1, y2) and np.allclose(x1, x2, atol=ATOL)):
        raise CheckFailed(f"{task}: two calls with the same seed give different training batches; draw the order and "
                          "the augmentation from generators seeded with `seed` (make_loader(..., seed=seed), "
                          "Augmented(..., seed=seed)) so that a run can be repeated.")
    if np.array_equal(y1, y3):
        raise CheckFailed(f"{task}: seeds 913 and 914 give the training images in the same order; shuffle with "
                          "the `seed` argument (make_loader(..., shuffle=True, seed=seed)).")


# ---------------------------------------------------------------------------------------------------------------
# CifarNet
# ---------------------------------------------------------------------------------------------------------------

BLOCKS = ("prep", "layer1", "res1", "layer2", "layer3", "res3")
DEFAULT_WIDTHS = (32, 64, 128, 256)
POOLED = ("layer1", "layer2", "layer3")
BLOCK_HINTS = {
    "prep": "conv 3x3 (3 -> a, padding 1, bias=False), BatchNorm2d(a), ReLU.",
    "layer1": "conv 3x3 (a -> b, padding 1, bias=False), BatchNorm2d(b), ReLU, MaxPool2d(2).",
    "res1": "two times [conv 3x3 (b -> b, padding 1, bias=False), BatchNorm2d(b), ReLU].",
    "layer2": "conv 3x3 (b -> c, padding 1, bias=False), BatchNorm2d(c), ReLU, MaxPool2d(2).",
    "layer3": "conv 3x3 (c -> d, padding 1, bias=False), BatchNorm2d(d), ReLU, MaxPool2d(2).",
    "res3": "two times [conv 3x3 (d -> d, padding 1, bias=False), BatchNorm2d(d), ReLU].",
}


def cifar_net_parameters(widths: tuple[int, int, int, int], num_classes: int = 10) -> int:
    """The closed formula of the parameter count: 3x3 convolutions without bias, batch norms with a scale and a
    shift per channel, a linear layer with bias."""
    a, b, c, d = widths
    convs = 9 * (3 * a + a * b + 2 * b * b + b * c + c * d + 2 * d * d)
    norms = 2 * (a + 3 * b + c + 3 * d)
    return convs + norms + d * num_classes + num_classes


def _channels(widths: tuple[int, int, int, int]) -> dict[str, list[tuple[int, int]]]:
    """(in, out) channels of each convolution of each block."""
    a, b, c, d = widths
    return {"prep": [(3, a)], "layer1": [(a, b)], "res1": [(b, b), (b, b)], "layer2": [(b, c)],
            "layer3": [(c, d)], "res3": [(d, d), (d, d)]}


def _block_layers(model: nn.Module, label: str, widths: tuple[int, int, int, int]) -> dict[str, list[tuple]]:
    """Each named block's (Conv2d, BatchNorm2d) pairs, read by type in order, checked against the table."""
    layers = {}
    for name, channels in _channels(widths).items():
        block = getattr(model, name, None)
        if not isinstance(block, nn.Module):
            raise CheckFailed(f"{label} should have a block `self.{name}` (keep the names of the table).")
        convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
        norms = [m for m in block.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if len(convs) != len(channels) or len(norms) != len(channels):
            raise CheckFailed(f"{label}.{name} holds {len(convs)} Conv2d and {len(norms)} BatchNorm2d layers; it "
                              f"should hold {len(channels)} of each. Hint: {name} = {BLOCK_HINTS[name]}")
        for i, (conv, norm, (c_in, c_out)) in enumerate(zip(convs, norms, channels)):
            where = f"{label}.{name}" + (f" (convolution {i + 1})" if len(channels) > 1 else "")
            if tuple(conv.weight.shape) != (c_out, c_in, 3, 3):
                raise CheckFailed(f"the convolution of {where} has weights of shape {tuple(conv.weight.shape)}, "
                                  f"expected {(c_out, c_in, 3, 3)}. Hint: {name} = {BLOCK_HINTS[name]}")
            if conv.bias is not None:
                raise CheckFailed(f"the convolution of {where} has a bias; use bias=False (the batch norm after it "
                                  "has its own shift, so a bias would only add parameters).")
            if (norm.num_features != c_out or norm.weight is None or norm.running_mean is None):
                raise CheckFailed(f"the batch norm of {where} should be BatchNorm2d({c_out}) with its default "
                                  "arguments (a scale, a shift and running statistics).")
        layers[name] = list(zip(convs, norms))
    return layers


def _default_widths(model: nn.Module, label: str) -> tuple[int, int, int, int]:
    """The widths (a, b, c, d) of a model built with the default arguments: the output channels of the first
    convolution of prep, layer1, layer2 and layer3 (the notebook chooses the default)."""
    widths = []
    for name in ("prep", "layer1", "layer2", "layer3"):
        block = getattr(model, name, None)
        convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)] if isinstance(block, nn.Module) else []
        if not convs:
            raise CheckFailed(f"{label} should have a block `self.{name}` holding a Conv2d (keep the names of the "
                              f"table). Hint: {name} = {BLOCK_HINTS[name]}")
        widths.append(convs[0].out_channels)
    return tuple(widths)


def _conv_bn_relu(h: torch.Tensor, conv: nn.Conv2d, norm: nn.Module) -> torch.Tensor:
    """conv 3x3 (padding 1, no bias), batch norm with the running statistics, ReLU, in float64."""
    h = F.conv2d(h, conv.weight.double(), padding=1)
    h = F.batch_norm(h, norm.running_mean.double(), norm.running_var.double(), norm.weight.double(),
                     norm.bias.double(), False, 0.0, norm.eps)
    return F.relu(h)


def _block_oracle(name: str, layers: list[tuple], h: torch.Tensor) -> torch.Tensor:
    """The block ``name`` (its (conv, norm) pairs, then a max-pooling in layer1, layer2, layer3), in float64."""
    h = h.double()
    for conv, norm in layers:
        h = _conv_bn_relu(h, conv, norm)
    return F.max_pool2d(h, 2) if name in POOLED else h


def cifar_net_oracle(model: nn.Module, layers: dict[str, list[tuple]], x: torch.Tensor, residual: bool = True,
                     head: str = "max") -> torch.Tensor:
    """The evaluation-mode forward pass of the table's network, computed from ``model``'s layers in float64."""
    h = x.double()
    for name in BLOCKS:
        out = _block_oracle(name, layers[name], h)
        h = h + out if name.startswith("res") and residual else out
    h = (F.adaptive_max_pool2d(h, 1) if head == "max" else F.adaptive_avg_pool2d(h, 1)).flatten(1)
    return F.linear(h, model.fc.weight.double(), model.fc.bias.double())


def _randomise_norms(model: nn.Module, gen: torch.Generator) -> None:
    """Random running statistics, scales and shifts in every batch norm (so that eval mode shows)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.3, 0.3, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)


@one_thread
def grade_cifar_net(CifarNet: Callable[..., Any]) -> None:  # noqa: N803 (a class is passed)
    """``CifarNet()`` and ``CifarNet(widths=(8, 16, 32, 64), num_classes=7)``: the named blocks' layers (read by
    type, in order), the parameter count against the closed formula, each block on its own and the whole forward
    pass against a functional oracle in evaluation mode with random batch-norm statistics."""
    gen = torch.Generator().manual_seed(931)
    for kwargs, batch in (({"widths": (8, 16, 32, 64), "num_classes": 7}, 3), ({"widths": (24, 48, 96, 192)}, 2),
                          ({}, 2)):
        label = f"CifarNet({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        torch.manual_seed(932)
        try:
            model = call_quietly(CifarNet, **kwargs)
        except TypeError as error:
            raise CheckFailed(f"{label} could not be built ({error}); the task asks for "
                              "__init__(self, widths=(32, 64, 128, 256), num_classes=10).") from None
        if not isinstance(model, nn.Module):
            raise CheckFailed(f"{label} should be an nn.Module, but it is a value of type {type(model).__name__}.")
        widths, classes = kwargs.get("widths") or _default_widths(model, label), kwargs.get("num_classes", 10)
        if not kwargs and widths != DEFAULT_WIDTHS:
            raise CheckFailed(f"{label} builds the widths {widths}; the task's default is widths={DEFAULT_WIDTHS}, "
                              "the recipe's network.")
        layers = _block_layers(model, label, widths)
        fc = getattr(model, "fc", None)
        if not isinstance(fc, nn.Linear) or fc.bias is None:
            raise CheckFailed(f"{label} should have its output layer in `self.fc`, an nn.Linear with a bias.")
        if tuple(fc.weight.shape) != (classes, widths[3]):
            raise CheckFailed(f"{label}.fc has weights of shape {tuple(fc.weight.shape)}, expected "
                              f"{(classes, widths[3])}. Hint: fc maps the d = widths[3] features to num_classes.")
        count, want = sum(p.numel() for p in model.parameters()), cifar_net_parameters(widths, classes)
        if count != want:
            raise CheckFailed(f"{label} has {count} parameters, but the table's network has {want}; the blocks hold "
                              "the right layers, so look for extra layers outside them.")
        _randomise_norms(model, gen)
        model.eval()
        size, width = 32, 3
        with torch.no_grad():
            for name in BLOCKS:
                c_out = layers[name][-1][0].weight.shape[0]
                h = torch.randn(batch, width, size, size, generator=gen)
                got = call_quietly(getattr(model, name), h)
                want_out = _block_oracle(name, layers[name], h)
                if name.startswith("res") and isinstance(got, torch.Tensor) and got.shape == want_out.shape \
                        and torch.allclose(got.double(), want_out + h.double(), rtol=1e-4, atol=1e-5):
                    want_out = want_out + h.double()  # the addition inside the block is fine as well
                expect_close(got, want_out, f"{label}.{name}(h) in eval mode for h of shape {tuple(h.shape)}",
                             rtol=1e-4, atol=1e-5, hint=f"{name} = {BLOCK_HINTS[name]}")
                width, size = c_out, size // 2 if name in POOLED else size
            x = torch.randn(batch, 3, 32, 32, generator=gen)
            got = call_quietly(model, x)
            expect_shape(got, (batch, classes), f"{label}(x) for x of shape {tuple(x.shape)}")
            if not torch.allclose(got.double(), cifar_net_oracle(model, layers, x), rtol=1e-4, atol=1e-5):
                if torch.allclose(got.double(), cifar_net_oracle(model, layers, x, residual=False), rtol=1e-4,
                                  atol=1e-5):
                    hint = "add the residual branches in forward: x = x + self.res1(x), and the same for res3."
                elif torch.allclose(got.double(), cifar_net_oracle(model, layers, x, head="avg"), rtol=1e-4,
                                    atol=1e-5):
                    hint = "the head takes the maximum over the positions (AdaptiveMaxPool2d(1)), not the average."
                else:
                    hint = ("prep, layer1, x + res1(x), layer2, layer3, x + res3(x), AdaptiveMaxPool2d(1), flatten, "
                            "fc; each block works on its own, so look at forward.")
                raise CheckFailed(f"{label}.forward in eval mode does not give the table's network's logits. "
                                  f"Hint: {hint}")
        _expect_trainable(model, label, batch, gen)


def _expect_trainable(model: nn.Module, label: str, batch: int, gen: torch.Generator) -> None:
    """One forward and backward pass in training mode reaches every parameter (an in-place ``x += self.res1(x)``
    gives the right logits but breaks back-propagation)."""
    model.train()
    for p in model.parameters():
        p.grad = None
    try:
        call_quietly(model, torch.randn(batch, 3, 32, 32, generator=gen)).square().sum().backward()
    except RuntimeError as error:
        hint = (" An in-place operation such as x += self.res1(x) changes a tensor that back-propagation still "
                "needs: write x = x + self.res1(x)." if "inplace" in str(error) else "")
        raise CheckFailed(f"{label} cannot be trained: back-propagation through it fails "
                          f"({_first_line(error)}).{hint}") from None
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    if missing:
        raise CheckFailed(f"{label}: no gradient reaches {', '.join(missing[:3])} in training mode; every layer of the "
                          "table must take part in the forward pass.")


# ---------------------------------------------------------------------------------------------------------------
# train_step
# ---------------------------------------------------------------------------------------------------------------


def _step_net() -> nn.Module:
    torch.manual_seed(941)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def _step_optimizer(model: nn.Module) -> tuple[torch.optim.Optimizer, Any]:
    """SGD with nesterov momentum and weight decay, and a one-cycle schedule of 8 steps."""
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-3)
    return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=8)


def reference_steps(model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], loss_fn: Any,
                    scheduled: list[bool]) -> Iterator[tuple[float, float, dict[str, torch.Tensor]]]:
    """The training steps of the task on a copy of ``model``: per batch the loss before the step, the learning
    rate after it and a copy of the state dict after it (the scheduler stepped when ``scheduled`` says so)."""
    model = copy.deepcopy(model)
    opt, scheduler = _step_optimizer(model)
    for (x, y), use in zip(batches, scheduled):
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if use:
            scheduler.step()
        yield loss.item(), opt.param_groups[0]["lr"], copy.deepcopy(model.state_dict())


@one_thread
def grade_train_step(train_step: Callable[..., Any]) -> None:
    """Three steps with SGD (nesterov momentum, weight decay), a one-cycle schedule and a label-smoothing loss on a
    small network with batch norm handed over in evaluation mode, then one step without a scheduler: the returned
    losses, the learning rate after each step and every entry of the state dict (the running statistics too)
    against the optimizer's own steps; the batches must not change."""
    task = "train_step"
    gen = torch.Generator().manual_seed(942)
    batches = [(torch.randn(6, 3, 8, 8, generator=gen), torch.randint(0, 5, (6,), generator=gen)) for _ in range(4)]
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    scheduled = [True, True, True, False]
    model = _step_net()
    model.eval()
    reference = list(reference_steps(model, batches, loss_fn, scheduled))
    opt, scheduler = _step_optimizer(model)
    hint = ("model.train(); move x and y to the device; optimizer.zero_grad(); loss = loss_fn(model(x), y); "
            "loss.backward(); optimizer.step(); then scheduler.step() when a scheduler is given; return loss.item().")
    for step, ((x, y), use, (want_loss, want_lr, want_state)) in enumerate(zip(batches, scheduled, reference), 1):
        label = f"step {step}" + ("" if use else " (called without a scheduler)")
        before = {"x": x.clone().numpy(), "y": y.clone().numpy()}
        old = {k: v.clone() for k, v in model.state_dict().items()}
        args = (model, x, y, opt, loss_fn, CPU) + ((scheduler,) if use else ())
        got = call_quietly(train_step, *args)
        expect_unchanged(task, before, {"x": x.numpy(), "y": y.numpy()})
        if isinstance(got, torch.Tensor) and got.requires_grad:
            raise CheckFailed(f"{task} returns the loss as a tensor still attached to the graph (it keeps the whole "
                              "graph of the batch alive, and the training loop cannot average it): return "
                              "loss.item(), a Python float.")
        if not model.training:
            raise CheckFailed(f"{task}: after {label} the model is in evaluation mode; call model.train() first "
                              "(batch norm uses the batch's statistics while training).")
        expect_close(expect_shape(got, (), f"the value returned by {task}"), want_loss,
                     f"the loss returned by {task} at {label}", rtol=1e-5, atol=1e-7,
                     hint="return the loss of the batch computed with the loss_fn argument, before the step.")
        expect_close(opt.param_groups[0]["lr"], want_lr, f"the learning rate after {label} of {task}", rtol=1e-6,
                     hint="call scheduler.step() once per call, after optimizer.step(), when a scheduler is given.")
        state = model.state_dict()
        if all(torch.equal(p, old[name]) for name, p in model.named_parameters()):
            raise CheckFailed(f"{task}: the model did not change at {label}; call loss.backward() and "
                              "optimizer.step().")
        for name, value in state.items():
            expect_close(value.double(), want_state[name].double(), f"{name} after {label} of {task}", rtol=1e-4,
                         atol=1e-6, hint=hint)


# ---------------------------------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------------------------------


def _snapshot(model: nn.Module, *tensors: torch.Tensor) -> dict[str, np.ndarray]:
    out = {f"model.{k}": v.detach().clone().numpy() for k, v in model.state_dict().items()}
    out.update({f"data {i}": t.clone().numpy() for i, t in enumerate(tensors)})
    return out


@one_thread
def grade_evaluate(evaluate: Callable[..., Any]) -> None:
    """A network with dropout and batch norm (random running statistics), handed over in training mode, in batches
    of 32, 150 and 7 of 150 examples: the mean of the given loss (cross-entropy with label smoothing 0.1) over the
    examples and the accuracy (a fraction) of its evaluation-mode outputs, without gradients and with gradients
    switched back on afterwards, the model and the data unchanged."""
    task = "evaluate"
    gen = torch.Generator().manual_seed(951)
    torch.manual_seed(952)
    net = nn.Sequential(nn.Conv2d(3, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 6 * 6, 30),
                        nn.ReLU(), nn.Dropout(0.6), nn.Linear(30, 10))
    with torch.no_grad():
        net[1].running_mean.uniform_(-1.0, 1.0, generator=gen)
        net[1].running_var.uniform_(0.2, 3.0, generator=gen)
    x = torch.rand(150, 3, 8, 8, generator=gen)
    net.eval()
    with torch.no_grad():
        logits = net(x).double()
    y = logits.argmax(1)
    y[::3] = (y[::3] + 1) % 10
    want_acc = (logits.argmax(1) == y).double().mean().item()
    want_loss = F.cross_entropy(logits, y, label_smoothing=0.1).item()  # the mean over the examples
    plain_loss = F.cross_entropy(logits, y).item()
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)  # the notebook's: a loss computed another way shows
    for batch_size in (32, 150, 7):
        model = GradRecorder(net)
        model.train()
        before = _snapshot(model, x, y)
        try:
            result = call_quietly(evaluate, model, DataLoader(TensorDataset(x, y), batch_size=batch_size), loss_fn,
                                  CPU)
        finally:
            left_off = not torch.is_grad_enabled()
            torch.set_grad_enabled(True)
        if left_off:
            raise CheckFailed(f"{task} leaves gradients switched off for everything that runs after it (training "
                              "then fails): use `with torch.no_grad():`, which switches them back on at its end, "
                              "rather than torch.set_grad_enabled(False).")
        loss, acc = _pair(result, f"{task}(model, loader, loss_fn, device)")
        where = f"on a network with dropout and batch norm (batch size {batch_size} for 150 examples)"
        acc = float(expect_shape(acc, (), f"the accuracy returned by {task}"))
        if np.isclose(acc, 100 * want_acc):
            raise CheckFailed(f"{task} returns the accuracy in percent; return a fraction in [0, 1].")
        expect_close(acc, want_acc, f"the accuracy returned by {task} {where}", rtol=1e-6,
                     hint="model.eval() switches dropout off and makes batch norm use its running statistics.")
        loss = expect_shape(loss, (), f"the mean loss returned by {task}")
        if np.isclose(float(loss), plain_loss, rtol=1e-5):
            raise CheckFailed(f"{task} computes a loss of its own instead of calling the `loss_fn` it is given (here "
                              "the notebook's cross-entropy with label smoothing 0.1, whose values differ).")
        expect_close(loss, want_loss,
                     f"the mean loss returned by {task} {where}", rtol=1e-5,
                     hint="the mean over the examples: add loss_fn(...) times the batch's size over the batches and "
                          "divide by the number of examples (the mean of the batch means differs when the last batch "
                          "is smaller).")
        expect_unchanged(task, before, _snapshot(model, x, y))
        if any(model.grad_enabled):
            raise CheckFailed(f"{task} runs the model with gradients enabled: evaluate inside `with torch.no_grad():` "
                              "(no graph is needed, and building one costs memory and time).")


# ---------------------------------------------------------------------------------------------------------------
# The performance: the test accuracy of p2_model.pkl (the cell returns its points)
# ---------------------------------------------------------------------------------------------------------------

WEIGHTS = Path("p2_model.pkl")
BRACKETS = {True: [(0.90, 15.0), (0.85, 10.0), (0.80, 5.0), (0.75, 3.0)],  # the real test set, strict ">"
            False: [(0.60, 15.0), (0.30, 5.0)]}  # the synthetic stand-in: the quick run must learn
EVAL_BATCH = 500


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]


def _build(model_class: Callable[[], Any], model_config: Callable[[], Any]) -> nn.Module:
    """``P2_MODEL_CLASS(**MODEL_CONFIG)``, or ``P2_MODEL_CLASS()`` when the notebook has no MODEL_CONFIG."""
    cls = model_class()
    try:
        config = model_config()
    except NameError:
        return call_quietly(cls)
    return call_quietly(cls, **dict(config))


def _handed_in(model_class: Callable[[], Any], model_config: Callable[[], Any]) -> nn.Module | None:
    """The notebook's model class with the weights of p2_model.pkl, or None after one line saying why not."""
    try:
        state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file, or a pickled object that is not a state dict
        if "Unsupported global" in str(error):
            print(f"{WEIGHTS} is not a state dict: save it with torch.save(model.state_dict(), '{WEIGHTS}') "
                  "-> 0 points")
        else:
            print(f"{WEIGHTS} could not be read ({_first_line(error)}) -> 0 points")
        return None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    try:
        model = _build(model_class, model_config)
        model.load_state_dict(state)
    except Exception as error:  # whatever the file or the class does, it costs these points only
        print(f"{WEIGHTS} does not load into P2_MODEL_CLASS(**MODEL_CONFIG): {_first_line(error)} -> 0 points")
        return None
    return model


def _trained(trained: Callable[[], Any]) -> nn.Module:
    """A copy of the model the notebook trained; an error saying so when there is none (0 points)."""
    try:
        model = trained()
    except (NameError, KeyError, TypeError, AttributeError) as error:
        model, why = None, _first_line(error)
    else:
        why = f"p2_model is {type(model).__name__}, not a network"
    if not isinstance(model, nn.Module):
        raise CheckFailed(f"no model was trained in this notebook ({why}): the training cell of section 7 must run "
                          "without an error first.")
    return copy.deepcopy(model)


def accuracy_on(model: nn.Module, images: np.ndarray, labels: np.ndarray, mean: np.ndarray,
                  std: np.ndarray) -> float:
    """The accuracy of ``model`` (on the CPU, in evaluation mode, without gradients) on the images normalised with
    ``mean`` and ``std`` per channel, in batches of :data:`EVAL_BATCH`."""
    model = model.cpu().eval()
    mean = torch.as_tensor(np.asarray(mean, np.float32)).reshape(1, -1, 1, 1)
    std = torch.as_tensor(np.asarray(std, np.float32)).reshape(1, -1, 1, 1)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), EVAL_BATCH):
            x = (torch.as_tensor(images[i:i + EVAL_BATCH]) - mean) / std
            logits = call_quietly(model, x)
            correct += (logits.argmax(1) == torch.as_tensor(labels[i:i + EVAL_BATCH])).sum().item()
    return correct / len(labels)


def grade_p2_performance(model_class: Callable[[], Any], model_config: Callable[[], Any],
                         trained: Callable[[], Any]) -> float:
    """The points of the test accuracy (15; strict brackets of :data:`BRACKETS`). On the real test set with
    ``p2_model.pkl`` in the working directory: ``P2_MODEL_CLASS(**MODEL_CONFIG)`` with those weights (a state
    dict, or ``{"state_dict": ...}``, read with ``weights_only=True``), the images normalised with the statistics of
    the full training split. Otherwise a copy of the notebook's ``p2_model`` (the quick run), normalised with the
    statistics of the training split as this run loads it (and, on real data, a line saying the file is missing).
    The three arguments are called only when needed: ``lambda: P2_MODEL_CLASS``, ``lambda: MODEL_CONFIG``,
    ``lambda: p2_model``. (Not limited to one thread: it evaluates 10 000 images.)"""
    with contextlib.redirect_stdout(io.StringIO()):  # the loader's notes (a stand-in replaces the data) were
        test = load_cifar10(train=False)               # shown when the notebook loaded it
    real = test.source == "real"
    if real and WEIGHTS.exists():
        model, origin = _handed_in(model_class, model_config), str(WEIGHTS)
        if model is None:
            return 0.0
        mean, std = training_statistics()
    else:
        if real:
            not_handed_in(str(WEIGHTS), "the model this notebook trained under the autograder (a quick run)")
        model, origin = _trained(trained), "the model trained in this notebook"
        with contextlib.redirect_stdout(io.StringIO()):
            mean, std = channel_stats_oracle(load_cifar10(train=True).images)
    try:
        accuracy = accuracy_on(model, test.images, test.labels, mean, std)
    except Exception as error:  # a model that fails on the test images scores nothing, with the reason
        print(f"the model failed on the test images ({type(error).__name__}: {_first_line(error)}) -> 0 points")
        return 0.0
    points = bracket_points(accuracy, BRACKETS[real], strict=True)
    print(f"test accuracy {100 * accuracy:.2f} % on {len(test.labels)} {test.source} images ({origin}): "
          f"{points:g} of 15 points")
    return points

