"""The PyTorch training loop shared by the notebooks from 06 on (06_lenet_regularization_kmnist, 09_cifar10_cnn).

The notebooks write the parts that are the lesson (the model, one epoch of
training, the accuracy of a model); this module only strings them together:

    history = fit(model, optimizer, loss_fn, train_loader, epochs,
                  train_epoch=train_one_epoch, evaluate=evaluate_accuracy,
                  val_loader=val_loader, test_loader=test_loader)

``fit`` moves the model to the device, calls ``train_epoch`` once per epoch,
measures the accuracies with ``evaluate``, records an :class:`AccuracyHistory`
and, when a validation loader is given, keeps the weights of the epoch with the
best validation accuracy (the model-selection rule of the course).

Progress bars go to stdout and only when :func:`helpers.runtime.show_progress`
allows it (never under the autograder, where a cell writing to stderr scores zero).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator, Sized
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from helpers.runtime import device as default_device
from helpers.training import EpochRecord, progress

__all__ = [
    "AccuracyHistory",
    "Augmented",
    "fit",
    "load_weights",
    "make_loader",
    "save_weights",
    "split_indices",
]


@dataclass
class AccuracyHistory(EpochRecord):
    """One entry per epoch in every list; accuracies are fractions in [0, 1].

    ``train_loss`` is the mean loss of the epoch's training steps (returned by
    the epoch function); ``train_acc``, ``val_acc`` and ``test_acc`` are measured
    after the epoch, with the model in evaluation mode. A list stays empty when
    its split was not given, and the ``*_eval_loss`` lists stay empty unless the
    evaluation function returns (loss, accuracy). (``helpers.training.History`` records errors of a
    NumPy loop and has no validation split, hence this second record.)
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    train_eval_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        """The last epoch in one line."""
        if not self.epoch:
            return "no epoch recorded"
        parts = [f"epoch {self.epoch[-1]}"]
        if self.train_loss:
            parts.append(f"loss {self.train_loss[-1]:.4f}")
        for name in ("train_acc", "val_acc", "test_acc"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} {100 * values[-1]:.2f} %")
        if self.test_loss:
            parts.append(f"test_loss {self.test_loss[-1]:.4f}")
        return ", ".join(parts)

    def save(self, path: str | Path) -> Path:
        """Write the history as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.as_dict()))
        return path

    @classmethod
    def load(cls, path: str | Path) -> AccuracyHistory:
        """Read a history written by :meth:`save`."""
        data = json.loads(Path(path).read_text())
        names = {f.name for f in fields(cls)}
        return cls(**{k: list(v) for k, v in data.items() if k in names})


def split_indices(n: int, val_size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random split of ``range(n)`` into training and validation indices.

    Args:
        n: number of examples.
        val_size: how many go to the validation part (0 <= val_size < n).
        seed: seed of the permutation, so the split can be repeated.
    Returns:
        (train indices of shape (n - val_size,), validation indices of shape (val_size,)), each sorted.
    """
    if not 0 <= val_size < n:
        raise ValueError(f"val_size must be in [0, {n}), got {val_size}")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[val_size:]), np.sort(order[:val_size])


def make_loader(images: Any, labels: Any, batch_size: int, shuffle: bool = False, seed: int = 0):
    """A ``DataLoader`` over in-memory arrays.

    Args:
        images: array or tensor of shape (N, C, H, W) (float).
        labels: array or tensor of shape (N,) (integer classes).
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: reshuffle every epoch (with a generator seeded by ``seed``).
    Returns:
        a ``torch.utils.data.DataLoader`` yielding (images (B, C, H, W) float32, labels (B,) int64).
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=generator)


class Augmented:
    """A training loader whose images are randomly shifted and mirrored, drawn anew for every batch.

    ``Augmented(loader, shift=2, flip=True, seed=0)`` yields the batches of ``loader`` (x of shape (B, C, H, W),
    y of shape (B,)) with each image moved by (dy, dx) pixels, each drawn uniformly from ``-shift..shift`` (the
    uncovered border is filled with zeros, the part moved out is lost), then, when ``flip``, mirrored left to right
    with probability 1/2. The labels pass unchanged. The draws come from a generator seeded by ``seed``, so a run
    can be repeated; every epoch gets new draws. Only for training: measure accuracies on plain loaders.
    """

    def __init__(self, loader: Any, shift: int = 2, flip: bool = True, seed: int = 0) -> None:
        import torch

        if shift < 0:
            raise ValueError(f"shift must be >= 0, got {shift}")
        self.loader, self.shift, self.flip = loader, int(shift), bool(flip)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def dataset(self) -> Any:
        return self.loader.dataset

    def transform(self, x: Any) -> Any:
        """One random draw for a batch x of shape (B, C, H, W); returns a new tensor of the same shape."""
        import torch

        batch, _, height, width = x.shape
        k = self.shift
        if k:
            padded = torch.nn.functional.pad(x, (k, k, k, k))
            dy = torch.randint(0, 2 * k + 1, (batch,), generator=self.generator)
            dx = torch.randint(0, 2 * k + 1, (batch,), generator=self.generator)
            rows = (dy[:, None] + torch.arange(height))[:, None, :, None]  # (B, 1, H, 1)
            cols = (dx[:, None] + torch.arange(width))[:, None, None, :]  # (B, 1, 1, W)
            x = padded[torch.arange(batch)[:, None, None, None], torch.arange(x.shape[1])[None, :, None, None],
                       rows, cols]
        if self.flip:
            mirror = torch.rand(batch, generator=self.generator) < 0.5
            x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
        return x

    def __iter__(self) -> Iterator[Any]:
        for x, y in self.loader:
            yield self.transform(x), y


class _WithProgress:
    """A loader that draws a progress bar (stdout, only when allowed) while it is iterated."""

    def __init__(self, loader: Any, desc: str) -> None:
        self.loader, self.desc = loader, desc

    def __iter__(self) -> Iterator[Any]:
        total = len(self.loader) if isinstance(self.loader, Sized) else None
        return iter(progress(self.loader, total=total, desc=self.desc))

    def __len__(self) -> int:
        return len(self.loader)

    @property
    def dataset(self) -> Any:
        return self.loader.dataset


def _measure(history: AccuracyHistory, split: str, result: Any) -> float:
    """Record what ``evaluate`` returned for ``split`` (an accuracy, or (loss, accuracy)); returns the accuracy."""
    if isinstance(result, tuple):
        loss, accuracy = result
        history.record(**{"train_eval_loss" if split == "train" else f"{split}_loss": float(loss)})
    else:
        accuracy = result
    history.record(**{f"{split}_acc": float(accuracy)})
    return float(accuracy)


def fit(
    model: Any,
    optimizer: Any,
    loss_fn: Callable[..., Any],
    train_loader: Any,
    epochs: int,
    *,
    train_epoch: Callable[..., float],
    evaluate: Callable[..., float],
    val_loader: Any = None,
    test_loader: Any = None,
    train_eval_loader: Any = None,
    scheduler: Any = None,
    device: Any = None,
    keep_best: bool = True,
    desc: str = "epoch",
    verbose: bool = True,
) -> AccuracyHistory:
    """Train ``model`` for ``epochs`` epochs and record the accuracies after each one.

    Args:
        model: a ``torch.nn.Module``; moved to ``device``.
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        loss_fn: the loss, called by ``train_epoch`` as ``loss_fn(model(x), y)``.
        train_loader: batches (x, y) for training, reshuffled each epoch.
        epochs: number of passes over ``train_loader``.
        train_epoch: ``train_epoch(model, loader, optimizer, loss_fn, device) -> mean loss``.
        evaluate: ``evaluate(model, loader, device) -> accuracy in [0, 1]``, or ``-> (mean loss, accuracy)``;
            the losses then go to ``train_eval_loss``, ``val_loss`` and ``test_loss``.
        val_loader, test_loader: measured after each epoch when given.
        train_eval_loader: what the training accuracy is measured on (default: ``train_loader``);
            a fixed subset of the training set saves time.
        scheduler: a learning-rate scheduler stepped once per epoch, or None.
        device: where to compute (default: the GPU when there is one, else the CPU).
        keep_best: with a validation loader, load back the weights of the epoch with the best
            validation accuracy (the first one on ties) when training ends.
        desc: label of the progress bar and of the summary lines.
        verbose: print one summary line per epoch (to stdout).
    Returns:
        the AccuracyHistory, one entry per epoch.
    """
    device = default_device() if device is None else device
    model.to(device)
    history = AccuracyHistory()
    best_acc, best_state = -1.0, None
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss = train_epoch(model, _WithProgress(train_loader, f"{desc} {epoch}/{epochs}"), optimizer, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
        seconds = time.perf_counter() - start
        history.record(epoch=epoch, train_loss=float(loss), seconds=seconds)
        _measure(history, "train", evaluate(model, train_eval_loader or train_loader, device))
        if val_loader is not None:
            val_acc = _measure(history, "val", evaluate(model, val_loader, device))
            if keep_best and val_acc > best_acc:
                best_acc, best_state = val_acc, copy.deepcopy(model.state_dict())
        if test_loader is not None:
            _measure(history, "test", evaluate(model, test_loader, device))
        if verbose:
            print(f"{desc}: {history.summary()} ({seconds:.1f} s)", flush=True)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def save_weights(model: Any, path: str | Path) -> Path:
    """Save the model's ``state_dict`` (moved to the CPU) to ``path``."""
    import torch

    path = Path(path)
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
    return path


def load_weights(model: Any, path: str | Path, device: Any = None) -> Any:
    """Load weights saved by :func:`save_weights` into ``model``; returns the model (on ``device``)."""
    import torch

    device = default_device() if device is None else device
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device)
