"""Datasets: where they live, how they are fetched, and the synthetic stand-ins used offline.

Where the data lives
--------------------
``COURSE_DATA_DIR`` names the dataset root; without it, the root is ``data/`` at
the top of the repository. Image datasets follow torchvision's layout:
``<root>/MNIST/raw/train-images-idx3-ubyte[.gz]`` and so on.

How it is fetched
-----------------
1. The four IDX files of the dataset (``.gz`` or unpacked) under the root, or under
   the cache ``COURSE_CACHE_DIR`` (default ``~/.cache/dl-course``) where earlier
   downloads went: they are read directly (a ``.gz`` is unpacked in memory).
   Nothing is ever written under ``COURSE_DATA_DIR``: it may be a shared
   read-only copy.
2. A file missing: torchvision downloads the dataset (``download=True``) into
   ``data/`` when ``COURSE_DATA_DIR`` is not set, else into the cache. Never under
   the autograder, never with ``COURSE_OFFLINE=1``, and not again for a day after
   a download failed (the cache remembers it), so an offline machine does not try
   at every run.
3. Still missing: :class:`DataUnavailable` names the missing file and where to put
   it, and the notebook loaders fall back to :func:`synthetic_digits` and say so in
   one line.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.runtime import in_autograde, quick_mode

ENV_DATA_DIR = "COURSE_DATA_DIR"
ENV_CACHE_DIR = "COURSE_CACHE_DIR"
ENV_OFFLINE = "COURSE_OFFLINE"
IMAGE_DATASETS = ("MNIST", "FashionMNIST", "KMNIST")
IDX_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
QUICK_TRAIN_SIZE = 512  # training examples kept in quick mode; test splits stay whole
RETRY_DOWNLOAD_AFTER = 24 * 3600  # seconds after a failed download before the next attempt


class DataUnavailable(RuntimeError):
    """The dataset is neither on disk nor downloadable; the message says what to put where."""


def data_root() -> Path:
    """The dataset root: ``$COURSE_DATA_DIR``, else ``data/`` at the repository root."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[1] / "data"


def cache_root() -> Path:
    """Downloads when ``COURSE_DATA_DIR`` is set, and notes: ``$COURSE_CACHE_DIR`` or ``~/.cache/dl-course``."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dl-course"


def download_root() -> Path:
    """Where a download goes: ``data/`` by default, the cache when ``COURSE_DATA_DIR`` names a (shared) root."""
    return cache_root() if os.environ.get(ENV_DATA_DIR) else data_root()


@dataclass
class ImageData:
    """Images and labels as NumPy arrays.

    Attributes:
        images: float32 array of shape (N, 1, 28, 28), values in [0, 1].
        labels: int64 array of shape (N,), values in 0..9.
        source: ``"real"`` or ``"synthetic"``.
        name: the dataset's name.
    """

    images: np.ndarray
    labels: np.ndarray
    source: str
    name: str

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def description(self) -> str:
        """The dataset's name for titles and text: ``"MNIST"``, or ``"synthetic stand-in for MNIST"``."""
        return self.name if self.source == "real" else f"synthetic stand-in for {self.name}"


def _check_name(name: str) -> None:
    if name not in IMAGE_DATASETS:
        raise ValueError(f"unknown image dataset {name!r}; choose one of {IMAGE_DATASETS}")


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format; ``.gz`` or not) as a uint8 array, e.g. (N, 28, 28) images or (N,) labels."""
    opener = gzip.open if Path(path).suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:  # a damaged or cut-off .gz
        raise DataUnavailable(f"{path} could not be read ({error}): corrupt or truncated?") from error
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise DataUnavailable(f"{path} is not an IDX file of bytes (corrupt or truncated?)")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise DataUnavailable(f"{path} holds {body.size} bytes of data instead of {int(np.prod(shape))} (truncated?)")
    return body.reshape(shape)


def find_idx_files(name: str, roots: list[Path] | None = None) -> dict[str, Path | None]:
    """For each of the four IDX files of ``name``, where it is, or None.

    ``roots``: the dataset roots to look in, in order (default: the data root, then the downloads).
    """
    _check_name(name)
    roots = roots if roots is not None else [data_root(), download_root()]
    folders = dict.fromkeys(root / name / "raw" for root in roots)
    found: dict[str, Path | None] = {}
    for stem in (*IDX_FILES[True], *IDX_FILES[False]):
        candidates = [folder / f"{stem}{suffix}" for folder in folders for suffix in ("", ".gz")]
        found[stem] = next((p for p in candidates if p.is_file()), None)
    return found


def failure_note(name: str) -> Path:
    """The file whose presence records a failed download of ``name`` (its age says when)."""
    return cache_root() / name / "download-failed"


def may_download(name: str) -> bool:
    """Whether ``name`` may be downloaded now: not under the autograder, not with ``COURSE_OFFLINE=1``, and not
    within ``RETRY_DOWNLOAD_AFTER`` seconds of a recorded failure (:func:`failure_note`)."""
    if in_autograde() or os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    note = failure_note(name)
    return not (note.exists() and time.time() - note.stat().st_mtime < RETRY_DOWNLOAD_AFTER)


_failure_note, _may_download = failure_note, may_download  # the earlier private names (helpers.shakespeare)


def _download(name: str) -> str | None:
    """Let torchvision download ``name`` into :func:`download_root`; None when it worked, else why not."""
    import contextlib
    import io

    import torchvision.datasets as tvd

    print(f"downloading {name} into {download_root() / name}/raw/ ...")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            getattr(tvd, name)(str(download_root()), train=True, download=True)  # its mirrors' chatter stays here
        return None
    except Exception as error:  # URLError, RuntimeError from every mirror, ...
        note = failure_note(name)
        try:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(f"{time.ctime()}: {error}\n")
        except OSError:
            pass
        return "the download failed: no connection to its servers?"


def _missing_message(name: str, missing: list[str], why: str | None, train: bool = True) -> str:
    """One line: which files are missing, where they go, what happened; for the test split, why it is affected."""
    folder = data_root() / name / "raw"
    files = ", ".join(f"{m}.gz" for m in missing)
    reason = f" ({why})" if why else ""
    split = set(IDX_FILES[train])
    if not train and not split & set(missing):  # the test files are here, the training files are not
        return (f"{name}'s test files are here, but its training files are not: {files} missing from "
                f"{folder}/{reason}. Training and testing use one source, so both are stand-ins until you put "
                f"the file(s) there (or set {ENV_DATA_DIR} to a folder holding {name}/raw/).")
    return (f"{name} is not available: {files} missing from {folder}/{reason}. Put the file(s) there "
            f"(or set {ENV_DATA_DIR} to a folder holding {name}/raw/).")


def load_idx_arrays(name: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """The uint8 images (N, 28, 28) and labels (N,) of one split, found or downloaded as described above.

    A dataset counts as present only when all four files are (training and test go together).
    """
    found = find_idx_files(name)
    missing = [stem for stem, path in found.items() if path is None]
    why = None
    if missing and may_download(name):
        why = _download(name)
        found = find_idx_files(name)
        missing = [stem for stem, path in found.items() if path is None]
    if missing:
        raise DataUnavailable(_missing_message(name, missing, why, train))
    images, labels = (read_idx(found[stem]) for stem in IDX_FILES[train])
    return images, labels


def load_images(name: str = "MNIST", train: bool = True, subset: int | None = None,
                allow_synthetic: bool = True, seed: int = 0) -> ImageData:
    """An image dataset as NumPy arrays, the first ``subset`` examples when given.

    In quick mode (tests, the demo, autograding) the training split keeps at most
    ``QUICK_TRAIN_SIZE`` examples; test splits stay whole, so a model is always
    graded on the complete test set. When the real files cannot be had and
    ``allow_synthetic`` is true, a synthetic stand-in of the same shape is
    returned and a one-line note says why.
    """
    if quick_mode() and train:
        subset = min(subset or QUICK_TRAIN_SIZE, QUICK_TRAIN_SIZE)
    try:
        images, labels = load_idx_arrays(name, train)
    except DataUnavailable as error:
        if not allow_synthetic:
            raise
        n = subset or (2000 if train else 500)
        split = "training" if train else "test"
        print(f"NOTE: synthetic digits stand in for {name}'s {split} images ({n} of them). {error}")
        return synthetic_digits(n, seed=seed + (0 if train else 1), name=name)
    if subset is not None:
        images, labels = images[:subset], labels[:subset]
    return ImageData(images[:, None].astype(np.float32) / 255.0, labels.astype(np.int64), "real", name)


# 5 x 7 bitmaps of the digits 0-9 (a '#' is ink).
_GLYPHS = [
    [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
    ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    [".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."],
]


def synthetic_digits(n: int, seed: int = 0, name: str = "synthetic") -> ImageData:
    """``n`` images of digits drawn from a 5x7 bitmap font, jittered and noisy, 28x28 like MNIST.

    Each image is its digit's glyph scaled by 3 (15 x 21 pixels), sheared, shifted,
    thickened, blurred and given noise, so a small network has something real to learn
    but cannot memorise a single template. Labels are balanced.
    """
    rng = np.random.default_rng(seed)
    glyphs = np.array([[[c == "#" for c in row] for row in g] for g in _GLYPHS], dtype=np.float32)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    for i, label in enumerate(labels):
        big = np.kron(glyphs[label], np.ones((3, 3), dtype=np.float32))  # (21, 15)
        shear = rng.uniform(-0.25, 0.25)
        canvas = np.zeros((28, 28), dtype=np.float32)
        top, left = rng.integers(1, 6), rng.integers(4, 10)
        for r in range(21):
            offset = int(round(shear * (r - 10)))
            c0 = int(np.clip(left + offset, 0, 13))
            canvas[top + r, c0:c0 + 15] = np.maximum(canvas[top + r, c0:c0 + 15], big[r])
        padded = np.pad(canvas, 1)
        blurred = sum(padded[dr:dr + 28, dc:dc + 28] for dr in range(3) for dc in range(3)) / 9.0
        image = np.clip(1.6 * blurred * rng.uniform(0.7, 1.0) + rng.normal(0, 0.08, (28, 28)), 0, 1)
        images[i] = image
    return ImageData(images[:, None], labels, "synthetic", name)


def minibatches(n: int, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    """Index arrays covering ``range(n)`` in batches of ``batch_size`` (the last may be smaller).

    Shuffled when ``rng`` is given, in order otherwise.
    """
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
