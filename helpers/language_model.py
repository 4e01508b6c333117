"""Training a character-level language model written in NumPy: parameters, the loop, evaluation, saving.

Used by notebook 08 (08_numpy_lstm_shakespeare). The model itself is the student's: a function

    model_loss(params, inputs, targets, h0, c0) -> (loss, grads, (hT, cT))

with ``params`` a dict of arrays (names below), ``inputs`` and ``targets`` int arrays of shape (T, B), the state
``h0, c0`` of shape (B, H) carried from the previous chunk, ``loss`` the mean cross-entropy in nats per
character and ``grads`` a dict with the names of ``params``. The loop here only feeds it batches, clips, steps an
optimizer and keeps a history; losses are in nats per character (bits = nats / ln 2).

Parameters (:func:`init_lstm_params`): ``E`` (V, D) embedding, ``W`` (D + H, 4H) and ``b`` (4H,) the LSTM with
gates in the order i, f, g, o, ``Wy`` (H, V) and ``by`` (V,) the output layer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.optimizers import Adam, warmup_cosine
from helpers.shakespeare import Vocabulary, bptt_batches, validation_chunks
from helpers.training import EpochRecord, progress

Params = dict[str, np.ndarray]
ModelLoss = Callable[..., tuple[float, Params, tuple[np.ndarray, np.ndarray]]]
Clip = Callable[[Params, float], tuple[Params, float]]
PARAM_NAMES = ("E", "W", "b", "Wy", "by")

__all__ = ["LossHistory", "evaluate_language_model", "init_lstm_params", "load_language_model",
           "save_language_model", "train_language_model"]


def init_lstm_params(vocab_size: int, embed_size: int, hidden_size: int, seed: int = 0,
                     forget_bias: float = 1.0, dtype: type = np.float32) -> Params:
    """PyTorch's default initialisation: ``E`` ~ N(0, 1); ``W``, ``b``, ``Wy``, ``by`` ~ U(-k, k), k = 1/sqrt(H);
    plus ``forget_bias`` on the forget gate's bias (so the cell starts out remembering)."""
    rng = np.random.default_rng(seed)
    V, D, H = vocab_size, embed_size, hidden_size
    k = 1.0 / math.sqrt(H)
    params = {"E": rng.standard_normal((V, D)), "W": rng.uniform(-k, k, (D + H, 4 * H)),
              "b": rng.uniform(-k, k, 4 * H), "Wy": rng.uniform(-k, k, (H, V)), "by": rng.uniform(-k, k, V)}
    params["b"][H : 2 * H] += forget_bias
    return {name: value.astype(dtype) for name, value in params.items()}


@dataclass
class LossHistory(EpochRecord):
    """One entry per evaluation: the step, the epochs of training text seen, the mean training loss since the last
    evaluation, the validation loss (nats per character) and the seconds of training so far."""

    epoch: list[float] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def val_bits(self) -> list[float]:
        return [value / math.log(2) for value in self.val_loss]

    def summary(self) -> str:
        if not self.step:
            return "nothing recorded"
        train = self.train_loss[-1]
        train_text = "-" if math.isnan(train) else f"{train:.3f}"
        return (f"step {self.step[-1]:5d} (epoch {self.epoch[-1]:.1f}): train {train_text}, validation "
                f"{self.val_loss[-1]:.4f} nats = {self.val_bits[-1]:.3f} bits per character, "
                f"{self.seconds[-1]:.0f} s")


def evaluate_language_model(model_loss: ModelLoss, params: Params, ids: np.ndarray, batch_size: int = 64,
                            seq_len: int = 250) -> float:
    """Mean cross-entropy (nats per character) of the model on all of ``ids``, the state carried across chunks."""
    hidden = params["Wy"].shape[0]
    h = np.zeros((batch_size, hidden), params["W"].dtype)
    c = np.zeros_like(h)
    total, count = 0.0, 0
    for inputs, targets in validation_chunks(ids, batch_size, seq_len):
        loss, _, (h, c) = model_loss(params, inputs, targets, h, c)
        total += float(loss) * inputs.size
        count += inputs.size
    return total / count


def train_language_model(model_loss: ModelLoss, clip: Clip, params: Params, train_ids: np.ndarray,
                         val_ids: np.ndarray, *, steps: int, batch_size: int, seq_len: int, lr: float,
                         lr_min: float = 0.0, warmup: int = 0, max_norm: float = 5.0, eval_every: int = 250,
                         seed: int = 0, verbose: bool = True,
                         on_evaluate: Callable[[int, LossHistory], None] | None = None) -> LossHistory:
    """Train ``params`` in place with truncated BPTT and return the history.

    Each step takes the next (T, B) chunk of :func:`helpers.shakespeare.bptt_batches`, starting from the state
    the previous chunk ended with (reset to zero at each epoch), calls ``model_loss``, clips the gradients with
    ``clip(grads, max_norm)`` and takes a step of Adam at the learning rate of
    :func:`helpers.optimizers.warmup_cosine`. The validation loss is measured before the first step, every
    ``eval_every`` steps and after the last; ``on_evaluate(step, history)``, when given, is called after each (to
    print a sample of the text, say).
    """
    opt = Adam(params, lr=lr)
    hidden = params["Wy"].shape[0]
    h = np.zeros((batch_size, hidden), params["W"].dtype)
    c = np.zeros_like(h)
    batches = bptt_batches(train_ids, batch_size, seq_len, seed=seed)
    history = LossHistory()
    chars_per_epoch = len(train_ids)
    running, seen, elapsed = 0.0, 0, 0.0

    def evaluate(step: int) -> None:
        nonlocal running, seen
        history.record(epoch=step * batch_size * seq_len / chars_per_epoch, step=step,
                       train_loss=running / seen if seen else float("nan"),
                       val_loss=evaluate_language_model(model_loss, params, val_ids, batch_size),
                       seconds=elapsed)
        running, seen = 0.0, 0
        if verbose:
            print(history.summary(), flush=True)
        if on_evaluate is not None:
            on_evaluate(step, history)

    evaluate(0)
    for first in range(1, steps + 1, eval_every):  # one progress bar per stretch between evaluations
        last = min(first + eval_every - 1, steps)
        for step in progress(range(first, last + 1), total=last - first + 1, desc=f"steps {first}-{last} of {steps}"):
            start = time.perf_counter()
            new_epoch, inputs, targets = next(batches)
            if new_epoch:
                h, c = np.zeros_like(h), np.zeros_like(c)
            opt.lr = warmup_cosine(step - 1, steps, lr, lr_min, warmup)
            loss, grads, (h, c) = model_loss(params, inputs, targets, h, c)
            grads, _ = clip(grads, max_norm)
            opt.step(params, grads)
            elapsed += time.perf_counter() - start
            running, seen = running + float(loss), seen + 1
        evaluate(last)
    return history


def save_language_model(path: str | Path, params: Params, vocab: Vocabulary) -> Path:
    """Save the parameters (float32) and the vocabulary's characters to an ``.npz`` file."""
    path = Path(path)
    if path.suffix != ".npz":  # np.savez would add it; return the path the file really has
        path = path.with_name(path.name + ".npz")
    arrays = {name: np.asarray(params[name], dtype=np.float32) for name in PARAM_NAMES}
    np.savez(path, **arrays, chars=np.array(vocab.chars))
    return path


def load_language_model(path: str | Path, dtype: type = np.float32) -> tuple[Params, Vocabulary]:
    """The parameters and vocabulary saved by :func:`save_language_model`.

    Raises ValueError, naming what is wrong, when the file lacks a parameter or the shapes do not fit together.
    """
    with np.load(Path(path), allow_pickle=False) as data:
        missing = [name for name in (*PARAM_NAMES, "chars") if name not in data.files]
        if missing:
            raise ValueError(f"{path} lacks {', '.join(missing)}: not saved by save_language_model")
        params = {name: data[name].astype(dtype) for name in PARAM_NAMES}
        vocab = Vocabulary(str(data["chars"]))
    V, D = params["E"].shape
    H = params["Wy"].shape[0]
    expected = {"E": (V, D), "W": (D + H, 4 * H), "b": (4 * H,), "Wy": (H, len(vocab)), "by": (len(vocab),)}
    wrong = [f"{name} {params[name].shape} (expected {shape})" for name, shape in expected.items()
             if params[name].shape != shape]
    if wrong or V != len(vocab):
        raise ValueError(f"{path}: shapes do not fit together: {', '.join(wrong) or f'E has {V} rows'}")
    return params, vocab
