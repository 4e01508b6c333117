"""Training loops, their per-epoch history, and saving weights (NumPy; used by notebook 05, 05_numpy_networks,
and for its progress bar and history by :mod:`helpers.training_torch`).

Every loop here records a :class:`History` and draws a progress bar only when
:func:`helpers.runtime.show_progress` allows it (never under the autograder).
Bars and epoch summaries go to stdout: nbgrader scores a cell zero when it writes
to stderr.

NumPy models
------------
:func:`train_numpy` trains any object with the API of the NumPy networks of the
course (the ``MLP`` of notebook 05 and everything built like it)::

    model.forward(x)      # x: (N, ...) -> logits (N, C); remembers what backward needs
    model.get_loss(y)     # y: (N,) ints -> mean loss (float) of the last forward
    model.get_error(y)    # -> number of wrong predictions (int) of the last forward
    model.zero_grads()    # set every gradient to zero
    model.backward(y)     # add the gradients of the mean loss to the model's gradients
    model.step()          # update the parameters from the gradients
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from helpers.data import ImageData, minibatches
from helpers.runtime import show_progress

T = TypeVar("T")

__all__ = ["History", "NumpyModel", "evaluate", "load_params", "progress", "save_params", "train_numpy"]


class NumpyModel(Protocol):
    """What :func:`train_numpy` and :func:`evaluate` need from a model (the MLP API)."""

    def forward(self, x: np.ndarray) -> np.ndarray: ...
    def backward(self, y: np.ndarray) -> None: ...
    def step(self) -> None: ...
    def zero_grads(self) -> None: ...
    def get_loss(self, y: np.ndarray) -> float: ...
    def get_error(self, y: np.ndarray) -> int: ...


class EpochRecord:
    """Per-epoch lists of a dataclass (one list per field, one entry per epoch), appended with :meth:`record`.

    The histories of the NumPy loop (:class:`History`) and of the PyTorch loop
    (``helpers.training_torch.AccuracyHistory``) are dataclasses built on it.
    """

    epoch: list[int]

    def record(self, **values: float) -> None:
        """Append one epoch's values, e.g. ``record(epoch=1, train_loss=0.3, ...)``."""
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise KeyError(f"{type(self).__name__} has no field(s) {sorted(unknown)}; it has {sorted(names)}")
        for name, value in values.items():
            getattr(self, name).append(value)

    def __len__(self) -> int:
        return len(self.epoch)

    def as_dict(self) -> dict[str, list[float]]:
        """The lists by field name (for saving, or for a table)."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}


@dataclass
class History(EpochRecord):
    """What happened in each epoch: one list entry per epoch in every field.

    Errors are fractions in [0, 1] (0.02 is 2 %). ``test_loss`` and
    ``test_error`` stay empty when a loop is given no test set.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_error: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_error: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        """The last epoch in one line."""
        if not self.epoch:
            return "no epoch recorded"
        parts = [f"epoch {self.epoch[-1]}"]
        for name in ("train_loss", "train_error", "test_loss", "test_error"):
            values = getattr(self, name)
            if values:
                value = values[-1]
                parts.append(f"{name} {100 * value:.2f} %" if name.endswith("error") else f"{name} {value:.4f}")
        return ", ".join(parts)


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", leave: bool = False) -> Iterator[T]:
    """``iterable`` with a tqdm progress bar on stdout, or plain when bars are off (under the autograder)."""
    if not show_progress():
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(iterable, total=total, desc=desc, leave=leave, file=sys.stdout, dynamic_ncols=True)


def _arrays(data: ImageData | tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, ImageData):
        return data.images, data.labels
    images, labels = data
    return np.asarray(images), np.asarray(labels)


def evaluate(model: NumpyModel, data: ImageData | tuple[np.ndarray, np.ndarray],
             batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and error rate (a fraction) of ``model`` on ``data``, in batches, without training.

    Args:
        model: an object with the MLP API (forward, get_loss, get_error).
        data: an ImageData, or a pair (images of shape (N, ...), labels of shape (N,)).
    Returns:
        (mean loss, fraction of wrong predictions).
    """
    images, labels = _arrays(data)
    n = len(labels)
    total_loss, wrong = 0.0, 0
    for index in minibatches(n, batch_size):
        model.forward(images[index])
        total_loss += float(model.get_loss(labels[index])) * len(index)
        wrong += int(model.get_error(labels[index]))
    return total_loss / n, wrong / n


def train_numpy(
    model: NumpyModel,
    train: ImageData | tuple[np.ndarray, np.ndarray],
    test: ImageData | tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    on_epoch_end: Callable[[Any, int, History], None] | None = None,
    desc: str = "epoch",
    verbose: bool = True,
) -> History:
    """Train a NumPy model with mini-batch SGD and record a :class:`History`.

    Each step: ``zero_grads``, ``forward``, ``get_loss``, ``get_error``,
    ``backward``, ``step``. The training loss and error of an epoch are averaged
    over its batches (measured while the weights still change); the test loss and
    error are measured after the epoch with :func:`evaluate`.

    Args:
        model: an object with the MLP API (see the module docstring).
        train: training images (N, ...) and labels (N,), as ImageData or a pair.
        test: the same for the test set, or None.
        epochs: passes over the training set.
        batch_size: examples per step (the last batch of an epoch may be smaller).
        seed: seed of the shuffling, so that a run can be repeated.
        on_epoch_end: called as ``on_epoch_end(model, epoch, history)`` after each epoch
            (epochs count from 1), e.g. to lower a learning rate.
        desc: label of the progress bar.
        verbose: print one summary line per epoch (to stdout).
    Returns:
        the History, one entry per epoch.
    """
    images, labels = _arrays(train)
    n = len(labels)
    rng = np.random.default_rng(seed)
    history = History()
    batches_per_epoch = -(-n // batch_size)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        total_loss, wrong = 0.0, 0
        batches = minibatches(n, batch_size, rng)
        for index in progress(batches, total=batches_per_epoch, desc=f"{desc} {epoch}/{epochs}"):
            model.zero_grads()
            model.forward(images[index])
            total_loss += float(model.get_loss(labels[index])) * len(index)
            wrong += int(model.get_error(labels[index]))
            model.backward(labels[index])
            model.step()
        seconds = time.perf_counter() - start
        history.record(epoch=epoch, train_loss=total_loss / n, train_error=wrong / n, seconds=seconds)
        if test is not None:
            test_loss, test_error = evaluate(model, test)
            history.record(test_loss=test_loss, test_error=test_error)
        if verbose:
            print(f"{history.summary()} ({seconds:.1f} s)", flush=True)
        if on_epoch_end is not None:
            on_epoch_end(model, epoch, history)
    return history


def save_params(path: str | Path, params: dict[str, np.ndarray], **extra: Any) -> Path:
    """Save a dict of arrays (and small extras such as ``activation="relu"``) to an ``.npz`` file."""
    path = Path(path)
    clash = set(params) & set(extra)
    if clash:
        raise KeyError(f"extra names clash with parameter names: {sorted(clash)}")
    np.savez(path, **{k: np.asarray(v) for k, v in params.items()}, **{k: np.asarray(v) for k, v in extra.items()})
    return path


def load_params(path: str | Path) -> dict[str, np.ndarray]:
    """Everything saved by :func:`save_params`: name -> array (extras are 0-d arrays; use ``.item()``)."""
    with np.load(Path(path), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
