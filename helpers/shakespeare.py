"""Tiny Shakespeare for a character-level language model: the text, its vocabulary, the 90/10 split and the
batches of truncated backpropagation through time. Used by notebook 08 (08_numpy_lstm_shakespeare).

Where the text lives
--------------------
``<data root>/tinyshakespeare/input.txt`` (the data root is ``$COURSE_DATA_DIR``, else ``data/`` at the top of
the repository; see :mod:`helpers.data`), 1 115 394 characters of plays collected by Andrej Karpathy for
char-rnn. Missing, it is downloaded from :data:`URL` into :func:`helpers.data.download_root` (never under the
autograder, never with ``COURSE_OFFLINE=1``, not again for a day after a failure). Nothing is written under
``COURSE_DATA_DIR``.

The stand-in
------------
Offline, :func:`load_shakespeare` says so in one line and returns a generated play instead
(:func:`stand_in_play`): speeches of a few named characters, each line drawn from a small grammar. It has the
layout of the real text (``NAME:`` lines, blank lines between speeches) and is far more predictable, so a
tiny model learns it in seconds (the tests and the autograder's quick runs train on it).
"""

from __future__ import annotations

import hashlib
import random
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from helpers.data import ENV_DATA_DIR, _failure_note, _may_download, data_root, download_root

FOLDER = "tinyshakespeare"
FILE = "input.txt"
URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
MD5 = "6fb458f1232090904fb40fe944165e91"
TRAIN_FRACTION = 0.9

__all__ = ["ShakespeareText", "Vocabulary", "bptt_batches", "load_shakespeare", "split_train_val",
           "stand_in_play", "validation_chunks"]


class ShakespeareText(str):
    """The text (a ``str``) with where it came from: ``origin`` is ``"real"`` or ``"stand-in"``."""

    origin: str

    def __new__(cls, text: str, origin: str) -> ShakespeareText:
        self = super().__new__(cls, text)
        self.origin = origin
        return self

    @property
    def description(self) -> str:
        return "tiny Shakespeare" if self.origin == "real" else "a generated stand-in for tiny Shakespeare"


# -- the stand-in ---------------------------------------------------------------------------------------------------

_SPEAKERS = ["DUKE", "LADY ANNE", "FIRST CITIZEN", "ROMEO", "NURSE", "KING HENRY"]
_SUBJECTS = ["I", "thou", "the king", "my lord", "the people", "this night", "our love"]
_VERBS = ["shall see", "must leave", "doth fear", "will praise", "hath lost", "cannot know"]
_OBJECTS = ["the crown", "thy face", "the gods", "my heart", "this town", "the sea", "her name"]
_ENDINGS = [".", ",", "!", "?", ";"]


def stand_in_play(n_chars: int, seed: int = 0) -> str:
    """A generated play of about ``n_chars`` characters: speeches of 1-3 lines of ``subject verb object`` form.

    Deterministic for a given seed; 48 distinct characters.
    """
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < n_chars:
        lines = [f"{rng.choice(_SPEAKERS)}:"]
        for _ in range(rng.choice((1, 2, 2, 3))):
            line = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_ENDINGS)}"
            lines.append(line[0].upper() + line[1:])
        speech = "\n".join(lines) + "\n\n"
        parts.append(speech)
        size += len(speech)
    return "".join(parts)


# -- loading --------------------------------------------------------------------------------------------------------

def text_path(root: Path | None = None) -> Path:
    """Where the text is read from: ``<root>/tinyshakespeare/input.txt``."""
    return Path(root if root is not None else data_root()) / FOLDER / FILE


def _download() -> str | None:
    """Fetch :data:`URL` into the download root, check its MD5; None when it worked, else why not."""
    target = download_root() / FOLDER / FILE
    print(f"downloading tiny Shakespeare into {target} ...")
    try:
        with urllib.request.urlopen(URL, timeout=30) as response:
            content = response.read()
    except Exception:  # URLError, timeout, ...
        why = "the download failed: no connection to its server?"
    else:
        if hashlib.md5(content).hexdigest() == MD5:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            return None
        why = "the downloaded file is not the expected one (its MD5 differs)"
    note = _failure_note(FOLDER)  # not again for a day
    try:
        note.parent.mkdir(parents=True, exist_ok=True)
        note.touch()
    except OSError:
        pass
    return why


def _find() -> Path | None:
    for path in (text_path(), download_root() / FOLDER / FILE):
        if path.is_file():
            return path
    return None


def load_shakespeare(stand_in_chars: int = 200_000, seed: int = 0) -> ShakespeareText:
    """The whole text of tiny Shakespeare, found or downloaded as described above.

    Without it (offline), one line says so and a generated play of ``stand_in_chars`` characters
    (:func:`stand_in_play`) is returned instead. ``result.origin`` tells which.
    """
    path = _find()
    why = None
    if path is None and _may_download(FOLDER):
        why = _download()
        path = _find()
    if path is not None:
        return ShakespeareText(path.read_text(encoding="utf-8"), "real")
    reason = f" ({why})" if why else ""
    print(f"NOTE: tiny Shakespeare is not available{reason}: a generated play stands in for it. Put input.txt in "
          f"{text_path().parent}/ (or set {ENV_DATA_DIR} to a folder holding {FOLDER}/).")
    return ShakespeareText(stand_in_play(stand_in_chars, seed), "stand-in")


# -- characters and indices -----------------------------------------------------------------------------------------

class Vocabulary:
    """The characters of a text, sorted, and the two maps between characters and indices 0..V-1.

    Attributes:
        chars: the V characters in index order (a string).
    """

    def __init__(self, chars: str) -> None:
        if len(set(chars)) != len(chars):
            raise ValueError("a vocabulary lists each character once")
        self.chars = chars
        self.index = {ch: i for i, ch in enumerate(chars)}
        self._table = None

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters)"

    def encode(self, text: str) -> np.ndarray:
        """The indices of the characters of ``text``: shape (len(text),), int64. Unknown characters raise KeyError."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        if self._table is None:
            top = max(ord(ch) for ch in self.chars) + 1
            self._table = np.full(top, -1, dtype=np.int64)
            self._table[[ord(ch) for ch in self.chars]] = np.arange(len(self.chars))
        inside = codes < len(self._table)
        ids = np.full(len(codes), -1, dtype=np.int64)
        ids[inside] = self._table[codes[inside]]
        if (ids < 0).any():
            unknown = text[int(np.flatnonzero(ids < 0)[0])]
            raise KeyError(f"character {unknown!r} is not in the vocabulary")
        return ids

    def decode(self, ids) -> str:
        """The string spelled by a sequence of indices."""
        return "".join(self.chars[int(i)] for i in ids)


def split_train_val(ids: np.ndarray, train_fraction: float = TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of the characters to train on, the rest to validate (no shuffling: a text)."""
    cut = int(len(ids) * train_fraction)
    return ids[:cut], ids[cut:]


# -- batches for truncated backpropagation through time -----------------------------------------------------------

def _streams(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """``ids`` cut into ``batch_size`` contiguous streams of equal length: (B, L)."""
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"{len(ids)} characters are too few for {batch_size} streams")
    return ids[: batch_size * length].reshape(batch_size, length)


def bptt_batches(ids: np.ndarray, batch_size: int, seq_len: int,
                 seed: int = 0) -> Iterator[tuple[bool, np.ndarray, np.ndarray]]:
    """Endless ``(new_epoch, inputs, targets)`` for truncated BPTT; inputs and targets have shape (T, B), int64.

    The text is cut into B contiguous streams; column b of every batch continues stream b, so the state an LSTM
    ends a chunk with is the right initial state for the next chunk. ``targets`` are the inputs shifted by one
    character. Each epoch starts at a random offset in [0, T) (so the chunk boundaries move) and flags
    ``new_epoch``, when the carried state should be reset.
    """
    rng = np.random.default_rng(seed)
    streams = _streams(ids, batch_size)
    length = streams.shape[1]
    if length <= seq_len + 1:
        raise ValueError(f"streams of {length} characters are too short for chunks of {seq_len}")
    while True:
        offset = int(rng.integers(0, seq_len))
        new_epoch = True
        for start in range(offset, length - seq_len, seq_len):
            chunk = streams[:, start : start + seq_len + 1]
            yield new_epoch, np.ascontiguousarray(chunk[:, :-1].T), np.ascontiguousarray(chunk[:, 1:].T)
            new_epoch = False


def validation_chunks(ids: np.ndarray, batch_size: int, seq_len: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The whole of ``ids`` as B streams, in order: ``(inputs, targets)`` chunks of shape (T', B).

    Carry the state from chunk to chunk; every character but the first of each stream is predicted once.
    """
    streams = _streams(ids, batch_size)
    length = streams.shape[1]
    chunks = []
    for start in range(0, length - 1, seq_len):
        end = min(start + seq_len, length - 1)
        chunks.append((np.ascontiguousarray(streams[:, start:end].T),
                       np.ascontiguousarray(streams[:, start + 1 : end + 1].T)))
    return chunks
