"""Public checks for notebook 09 (a ResNet-style CNN for CIFAR-10, in PyTorch).

Each check builds its own tiny data or models and tests what every correct answer does: the type, then the
shapes, then values that can be worked out by hand (a 2 x 3 x 2 x 2 set of images, a classifier that is right on
a known share of the labels, a loss that falls on an easy problem). The assignment's own numbers are graded by
hidden tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (  # noqa: F401 (bracket_points and describe_brackets: the notebook finds them here)
    CheckFailed,
    bracket_points,
    call_quietly,
    describe_brackets,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    expect_unchanged,
    passed,
    stand_in_for,
)

BLOCKS = ("prep", "layer1", "res1", "layer2", "layer3", "res3", "fc")


def _torch():
    import torch

    return torch


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    """The two parts of a returned pair, or a message saying that a pair was expected."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        kind = f"a {type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list)) else \
            f"a value of type {type(value).__name__}"
        raise CheckFailed(f"`{name}` should return a pair (two values), but it returned {kind}.")
    return value[0], value[1]


# ---------------------------------------------------------------------------------------------------------------
# channel_stats
# ---------------------------------------------------------------------------------------------------------------


def _hand_images() -> np.ndarray:
    """Two images of 3 channels and 2 x 2 pixels: channel 0 constant 0.5, channel 1 a 0/1 checkerboard, channel 2
    0.2 in the first image and 0.6 in the second."""
    images = np.zeros((2, 3, 2, 2))
    images[:, 0] = 0.5
    images[:, 1] = [[0.0, 1.0], [1.0, 0.0]]
    images[0, 2], images[1, 2] = 0.2, 0.6
    return images


def check_channel_stats(channel_stats: Callable[..., Any]) -> None:
    """Two arrays of shape (C,) with the mean and standard deviation of each channel, on a hand example."""
    task = "channel_stats"
    expect_callable(channel_stats, task)
    images = _hand_images()
    before = {"images": images.copy()}
    mean, std = _pair(call_quietly(channel_stats, images), f"{task}(images)")
    expect_unchanged(task, before, {"images": images})
    hint = "one value per channel: average over the images and all pixels (axes 0, 2 and 3 of (N, C, H, W))."
    mean = expect_shape(mean, (3,), "the mean returned by channel_stats for images of shape (2, 3, 2, 2)")
    std = expect_shape(std, (3,), "the std returned by channel_stats for images of shape (2, 3, 2, 2)")
    expect_close(mean, [0.5, 0.5, 0.4], "the per-channel mean of the hand example", hint=hint)
    population = np.array([0.0, 0.5, 0.2])
    if not np.allclose(std, population * np.sqrt(8 / 7)):  # ddof=1 is accepted as well
        expect_close(std, population, "the per-channel std of the hand example", hint=hint)
    passed("channel_stats: shapes (3,), per-channel mean and std of a hand example, input unchanged")


# ---------------------------------------------------------------------------------------------------------------
# cifar_loaders
# ---------------------------------------------------------------------------------------------------------------


CENTRE, SPREAD = np.array([0.3, 0.5, 0.7]), np.array([0.1, 0.25, 0.05])


def _tiny_cifar(n: int, seed: int) -> Any:
    """``n`` random images of shape (3, 32, 32) whose channel c holds the values CENTRE[c] - SPREAD[c] and
    CENTRE[c] + SPREAD[c], as many of each, so that its mean is CENTRE[c] and its std SPREAD[c] by construction.
    Label i for the i-th image, so a batch says where each of its images came from."""
    from helpers.data import ImageData

    rng = np.random.default_rng(seed)
    signs = np.where(rng.permuted(np.arange(n * 32 * 32).reshape(1, -1).repeat(3, 0), axis=1) % 2 == 0, 1.0, -1.0)
    images = CENTRE[:, None] + SPREAD[:, None] * signs  # (3, n * 32 * 32)
    images = images.reshape(3, n, 32, 32).transpose(1, 0, 2, 3)
    return ImageData(np.ascontiguousarray(images, dtype=np.float32), np.arange(n, dtype=np.int64), "synthetic", "tiny")


def _known_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The statistics of :func:`_tiny_cifar`'s images, known by construction (it stands in for your
    channel_stats here, so that this check judges cifar_loaders alone)."""
    return CENTRE.astype(images.dtype), SPREAD.astype(images.dtype)


def _epoch(loader: Any, name: str, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """All images and labels of one pass over ``loader``, checking each batch's shapes."""
    torch = _torch()
    xs, ys = [], []
    for batch in loader:
        x, y = _pair(batch, f"a batch of the {name}")
        expect_type(x, torch.Tensor, f"the images of a batch of the {name}")
        expect_shape(x, (None, 3, 32, 32), f"the images of a batch of the {name}")
        if x.dtype != torch.float32 or getattr(y, "dtype", None) != torch.int64:
            raise CheckFailed(f"the {name} yields images of dtype {x.dtype} and labels of type "
                              f"{getattr(y, 'dtype', type(y).__name__)}; the network needs float32 images and the "
                              "loss int64 labels (cast the normalised images with np.float32).")
        if len(x) > batch_size or len(y) != len(x):
            raise CheckFailed(f"a batch of the {name} holds {len(x)} images and {len(y)} labels; it should hold at "
                              f"most batch_size = {batch_size} of each.")
        xs.append(x.detach().double().numpy())
        ys.append(np.asarray(y))
    if not xs:
        raise CheckFailed(f"the {name} yields no batches.")
    return np.concatenate(xs), np.concatenate(ys)


def check_cifar_loaders(cifar_loaders: Callable[..., Any]) -> None:
    """With the same images as training and test set: the test images have mean 0 and std 1 per channel, the
    training loader without augmentation holds the same normalised images, and augmentation changes some. (The
    statistics of these images are known by construction and stand in for your channel_stats, whose own check
    judges it.)"""
    task = "cifar_loaders"
    expect_callable(cifar_loaders, task)
    data = _tiny_cifar(24, seed=901)
    before = {"train.images": data.images.copy(), "train.labels": data.labels.copy()}
    with stand_in_for(cifar_loaders, "channel_stats", _known_stats):
        loaders = _pair(call_quietly(cifar_loaders, data, data, 8, augment=False), f"{task}(train, test, 8)")
        augmented = _pair(call_quietly(cifar_loaders, data, data, 8, augment=True, seed=1),
                          f"{task}(..., augment=True)")
    train_x, train_y = _epoch(loaders[0], "training loader", 8)
    test_x, test_y = _epoch(loaders[1], "test loader", 8)
    if sorted(test_y.tolist()) != list(range(24)):
        raise CheckFailed("one pass over the test loader should give every test image once.")
    test_x = test_x[np.argsort(test_y)]
    expect_close(test_x.mean(axis=(0, 2, 3)), np.zeros(3), "the per-channel mean of the normalised test images "
                 "(here the test set is the training set)", atol=1e-4,
                 hint="subtract the training set's mean of each channel: (x - mean[c]) / std[c].")
    expect_close(test_x.std(axis=(0, 2, 3)), np.ones(3), "the per-channel std of the normalised test images "
                 "(here the test set is the training set)", rtol=1e-3,
                 hint="divide by the training set's std of each channel: (x - mean[c]) / std[c].")
    if len(train_y) < 24 - 7 or len(set(train_y.tolist())) != len(train_y):
        raise CheckFailed("one pass over the training loader should give each training image once.")
    expect_close(train_x, test_x[train_y], "the training images without augmentation", atol=1e-5,
                 hint="normalise the training images with the same statistics as the test images.")
    aug_x, aug_y = _epoch(augmented[0], "augmented training loader", 8)
    changed = [not np.allclose(x, test_x[label], atol=1e-5) for x, label in zip(aug_x, aug_y)]
    if not any(changed):
        raise CheckFailed("with augment=True the training images come out unchanged: wrap the training loader in "
                          "Augmented(loader, shift=4, flip=True, seed=seed).")
    again_x, _ = _epoch(augmented[1], "test loader (augment=True)", 8)
    if again_x.shape != test_x.shape or not np.allclose(np.sort(again_x.ravel()), np.sort(test_x.ravel()), atol=1e-5):
        raise CheckFailed("the test loader must not be augmented: its images are the normalised test images.")
    expect_unchanged(task, before, {"train.images": data.images, "train.labels": data.labels})
    passed(f"cifar_loaders: batch shapes, test images with mean 0 and std 1 per channel, {sum(changed)} of "
           f"{len(changed)} training images changed by augmentation, inputs unchanged")


# ---------------------------------------------------------------------------------------------------------------
# CifarNet
# ---------------------------------------------------------------------------------------------------------------


def check_cifar_net(CifarNet: Callable[..., Any]) -> None:  # noqa: N803 (a class is passed)
    """The named blocks, logits of shape (B, num_classes) for two configurations, a deterministic eval mode."""
    torch = _torch()
    expect_callable(CifarNet, "CifarNet")
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(902))
    counts = {}
    for kwargs, classes in (({}, 10), ({"widths": (8, 16, 32, 64), "num_classes": 7}, 7)):
        label = f"CifarNet({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        try:
            model = call_quietly(CifarNet, **kwargs)
        except TypeError as error:
            raise CheckFailed(f"{label} could not be built ({error}); the task asks for "
                              "__init__(self, widths=(32, 64, 128, 256), num_classes=10).") from None
        expect_type(model, torch.nn.Module, label)
        for name in BLOCKS:
            if not isinstance(getattr(model, name, None), torch.nn.Module):
                raise CheckFailed(f"{label} should have a block `self.{name}` (keep the names of the table).")
        model.eval()
        with torch.no_grad():
            out = call_quietly(model, x)
            again = call_quietly(model, x)
        expect_shape(out, (4, classes), f"{label}(x) for x of shape (4, 3, 32, 32)")
        expect_close(again, out, f"{label} in eval mode, second call",
                     hint="in evaluation mode the forward pass must be deterministic.")
        counts[label] = sum(p.numel() for p in model.parameters())
    found = "; ".join(f"{label}: " + f"{n:,}".replace(",", " ") for label, n in counts.items())
    passed(f"CifarNet: the blocks, logits of shape (4, 10) and (4, 7), eval mode deterministic; parameters {found} "
           "(compare with your count by hand)")


# ---------------------------------------------------------------------------------------------------------------
# train_step and evaluate
# ---------------------------------------------------------------------------------------------------------------


def _easy_problem(torch: Any) -> tuple[Any, Any]:
    """32 images of shape (3, 4, 4): class 1 when the image is bright on average."""
    g = torch.Generator().manual_seed(903)
    x = torch.randn(32, 3, 4, 4, generator=g)
    return x, (x.mean(dim=(1, 2, 3)) > 0).long()


def check_train_step(train_step: Callable[..., Any]) -> None:
    """A number comes back, the model is in training mode, the weights move, the scheduler is stepped once per
    call and the loss falls over a few steps on an easy problem."""
    torch = _torch()
    task = "train_step"
    expect_callable(train_step, task)
    x, y = _easy_problem(torch)
    before = {"x": x.clone().numpy(), "y": y.clone().numpy()}
    torch.manual_seed(904)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 2))
    model.eval()
    start = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.9 ** step)
    losses = []
    for _ in range(5):
        loss = call_quietly(train_step, model, x, y, opt, torch.nn.CrossEntropyLoss(), torch.device("cpu"),
                            scheduler)
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            raise CheckFailed(f"{task} returns a tensor still attached to the graph; return loss.item(), a Python "
                              "float.")
        losses.append(float(expect_shape(loss, (), f"the value returned by {task}")))
    expect_unchanged(task, before, {"x": x.numpy(), "y": y.numpy()})
    if not model.training:
        raise CheckFailed(f"after {task} the model is still in evaluation mode: call model.train() first.")
    if all(torch.equal(a, b) for a, b in zip(start, model.parameters())):
        raise CheckFailed(f"{task} did not change the weights: call loss.backward() and optimizer.step().")
    expect_close(opt.param_groups[0]["lr"], 0.5 * 0.9 ** 5, "the learning rate after five calls with a scheduler",
                 hint="call scheduler.step() once per call, after optimizer.step(), when a scheduler is given.")
    if not np.all(np.isfinite(losses)) or not losses[-1] < losses[0]:
        raise CheckFailed(f"the loss should fall over five steps on this easy problem, got {np.round(losses, 4)}.")
    call_quietly(train_step, model, x, y, opt, torch.nn.CrossEntropyLoss(), torch.device("cpu"))  # no scheduler
    passed(f"train_step: the weights move, the scheduler steps once per call, the loss falls "
           f"({losses[0]:.3f} -> {losses[-1]:.3f})")


def check_evaluate(evaluate: Callable[..., Any]) -> None:
    """(mean loss, accuracy) of a classifier that always says 3 on 11 labels, 6 of them 3, in batches of 4."""
    torch = _torch()
    from torch.utils.data import DataLoader, TensorDataset

    task = "evaluate"
    expect_callable(evaluate, task)

    class AlwaysThree(torch.nn.Module):
        def forward(self, x):
            out = torch.zeros(len(x), 10)
            out[:, 3] = 1.0
            return out

    y = torch.tensor([3, 1, 3, 3, 0, 9, 3, 2, 3, 3, 5])
    loader = DataLoader(TensorDataset(torch.rand(len(y), 3, 4, 4), y), batch_size=4)
    try:
        result = call_quietly(evaluate, AlwaysThree(), loader, torch.nn.CrossEntropyLoss(), torch.device("cpu"))
    finally:
        left_off = not torch.is_grad_enabled()
        torch.set_grad_enabled(True)
    if left_off:
        raise CheckFailed(f"{task} leaves gradients switched off after it returns, and training then fails: use "
                          "`with torch.no_grad():` instead of torch.set_grad_enabled(False).")
    loss, acc = _pair(result, f"{task}(model, loader, loss_fn, device)")
    loss = expect_shape(loss, (), f"the mean loss returned by {task}")
    acc = expect_shape(acc, (), f"the accuracy returned by {task}")
    expect_close(acc, 6 / 11, "the accuracy of a classifier that always says 3 (6 of 11 labels are 3)",
                 hint="count the correct predictions over every batch and divide by the number of examples "
                      "(a fraction, not a percentage).")
    right, wrong = np.log(np.e + 9) - 1, np.log(np.e + 9)  # cross-entropy when the answer 3 is right or wrong
    expect_close(loss, (6 * right + 5 * wrong) / 11, "the mean loss of the same classifier (batches of 4, 4 and 3)",
                 hint="weight each batch's mean loss by its number of examples, then divide by the number of "
                      "examples (the last batch is smaller).")
    def half_cross_entropy(scores, labels):
        return 0.5 * torch.nn.functional.cross_entropy(scores, labels)

    halves = _pair(call_quietly(evaluate, AlwaysThree(), loader, half_cross_entropy, torch.device("cpu")),
                   f"{task}(model, loader, loss_fn, device)")[0]
    expect_close(halves, 0.5 * (6 * right + 5 * wrong) / 11, "the mean loss with a loss_fn that halves the "
                 "cross-entropy", hint="compute the loss with the `loss_fn` argument (the notebook's has label "
                                       "smoothing), not with a cross-entropy of your own.")
    passed("evaluate: the mean loss over the examples with the given loss_fn, and the accuracy as a fraction")
