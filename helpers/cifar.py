"""CIFAR-10: the ten classes of 32 x 32 colour photographs, and the generated stand-in used offline. Used by
notebook 09 (09_cifar10_cnn).

Where the data lives
--------------------
``<data root>/cifar-10-batches-py/`` (the data root is ``$COURSE_DATA_DIR``, else ``data/`` at the top of the
repository; see :mod:`helpers.data`) holding the six python-pickle batches of the official archive:
``data_batch_1`` ... ``data_batch_5`` (50 000 training images) and ``test_batch`` (10 000 test images). They are
read with NumPy alone (no torchvision), through an unpickler that accepts nothing but arrays, lists and dicts.
Missing, torchvision downloads and unpacks the archive into :func:`helpers.data.download_root` (never under the
autograder, never with ``COURSE_OFFLINE=1``, not again for a day after a failure). Nothing is ever written under
``COURSE_DATA_DIR``.

The stand-in
------------
Without the six files, :func:`load_cifar10` says so in one line and returns :func:`synthetic_cifar` images
instead, :data:`STAND_IN_TRAIN` to train on and :data:`STAND_IN_TEST` to test on (training and test split fall
back together). Each class is a coloured shape (disc, square, ring, ...) with a class tint, on a smooth noisy
background. Every shape is symmetric left to right and is moved and scaled at random, so the augmentations of
the notebook (mirroring, shifts by up to 4 pixels) keep its label. It is far easier than CIFAR-10: a small CNN
learns it in seconds (notebook 09's quick run: 82-94 % over three seeds), and even softmax regression gets most
of it from the class tints. It is there to run the notebook and its tests offline, not to measure anything.

Loaded arrays stay in memory (per split), so loading again is cheap; every call returns fresh arrays, so a
caller that writes into them changes nothing for the next one.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import time
from pathlib import Path

import numpy as np

from helpers.data import (
    ENV_DATA_DIR,
    QUICK_TRAIN_SIZE,
    DataUnavailable,
    ImageData,
    data_root,
    download_root,
    failure_note,
    may_download,
)
from helpers.runtime import quick_mode

NAME = "CIFAR10"
FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
STAND_IN_TRAIN, STAND_IN_TEST = 10_000, 1_000
SUBSET_SEED = 0  # the fixed order from which subsets (and quick mode's training images) are taken

__all__ = ["CIFAR10_CLASSES", "STAND_IN_TEST", "STAND_IN_TRAIN", "cifar_files_present", "clear_cache",
           "load_cifar10", "read_batch", "synthetic_cifar", "training_statistics"]


# -- reading the batches --------------------------------------------------------------------------------------------

class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and NumPy arrays, and refuses anything else (a pickle can run code)."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR-10 batch")
        return super().find_class(module, name)


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One python-pickle batch of CIFAR-10: uint8 images (N, 3, 32, 32) and int64 labels (N,).

    The file holds a dict with ``b"data"``, uint8 (N, 3072) (the red plane, then green, then blue, each row by
    row), and ``b"labels"``, N integers in 0..9. A damaged file raises :class:`DataUnavailable` naming it.
    """
    try:
        with open(path, "rb") as f:
            batch = _ArrayUnpickler(f, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
        images = data.reshape(len(data), 3, 32, 32)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError, IndexError) as error:
        raise DataUnavailable(f"{path} could not be read as a CIFAR-10 batch ({error}): corrupt or truncated?") \
            from error
    if len(labels) != len(images) or (labels.size and not 0 <= labels.min() <= labels.max() <= 9):
        raise DataUnavailable(f"{path} holds {len(images)} images but {len(labels)} labels (or labels beyond 0..9)")
    return images, labels


def cifar_files_present(root: Path) -> bool:
    """Whether ``root/cifar-10-batches-py/`` holds all six batch files (five training batches and the test batch)."""
    folder = Path(root) / FOLDER
    return all((folder / name).is_file() for name in (*TRAIN_FILES, *TEST_FILES))


def _missing_files(root: Path) -> list[str]:
    folder = Path(root) / FOLDER
    return [name for name in (*TRAIN_FILES, *TEST_FILES) if not (folder / name).is_file()]


def _find_folder() -> Path | None:
    """The first batch folder holding all six files: under the data root, then under the downloads."""
    for root in dict.fromkeys((data_root(), download_root())):
        if cifar_files_present(root):
            return root / FOLDER
    return None


def _download(train: bool) -> str | None:
    """Let torchvision download and unpack CIFAR-10 into :func:`download_root`; None when it worked, else why not."""
    import torchvision.datasets as tvd

    print(f"downloading CIFAR-10 (163 MB) into {download_root() / FOLDER}/ ...")
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            tvd.CIFAR10(str(download_root()), train=train, download=True)  # its progress bar stays here
        return None
    except Exception as error:  # URLError, a checksum that differs, ...
        note = failure_note(NAME)
        try:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(f"{time.ctime()}: {error}\n")
        except OSError:
            pass
        return "the download failed: no connection?"


def _unavailable(why: str | None) -> DataUnavailable:
    root = data_root()
    missing = _missing_files(root)
    if len(missing) == len(TRAIN_FILES) + len(TEST_FILES):
        where = f"{FOLDER}/ missing from {root}/"
    else:  # training and test split go together: one file missing makes both stand-ins
        where = f"{', '.join(missing)} missing from {root / FOLDER}/"
    reason = f" ({why})" if why else ""
    return DataUnavailable(f"{where}{reason}. Put it there or set {ENV_DATA_DIR} to a folder holding {FOLDER}/.")


# -- the in-memory cache --------------------------------------------------------------------------------------------

# (train, folder) -> uint8 images (N, 3, 32, 32), labels (N,); (train, "stand-in", seed) -> float32 images, labels.
# All read-only: callers get copies.
_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_STATISTICS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def clear_cache() -> None:
    """Forget the arrays loaded so far (the next call reads the files again)."""
    _CACHE.clear()
    _STATISTICS.clear()


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.setflags(write=False)
    return arrays


def _real_split(folder: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    key = (train, str(folder))
    if key not in _CACHE:
        parts = [read_batch(folder / name) for name in (TRAIN_FILES if train else TEST_FILES)]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        _CACHE[key] = _frozen(images, labels)
    return _CACHE[key]


def _stand_in_split(train: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    key = (train, "stand-in", seed)
    if key not in _CACHE:
        data = synthetic_cifar(STAND_IN_TRAIN, seed) if train else synthetic_cifar(STAND_IN_TEST, seed + 1)
        _CACHE[key] = _frozen(data.images, data.labels)
    return _CACHE[key]


def _locate(train: bool) -> Path:
    """The folder of the six batch files, downloaded first when that is allowed; DataUnavailable when missing."""
    folder = _find_folder()
    why = None
    if folder is None and may_download(NAME):
        why = _download(train)
        folder = _find_folder()
    if folder is None:
        raise _unavailable(why)
    return folder


def balanced_order(labels: np.ndarray, seed: int = SUBSET_SEED) -> np.ndarray:
    """Indices of all of ``labels`` in a seeded random order in which the classes take turns.

    Any prefix of it is as balanced as the labels allow (subsets and quick mode take prefixes).
    """
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(labels))
    classes = labels[shuffled]
    by_class = np.argsort(classes, kind="stable")
    starts = np.searchsorted(classes[by_class], classes[by_class])  # where each class begins among the sorted
    rank = np.empty(len(labels), dtype=np.int64)
    rank[by_class] = np.arange(len(labels)) - starts  # how many of its class came before it in the shuffle
    return shuffled[np.lexsort((np.arange(len(labels)), rank))]


# -- loading --------------------------------------------------------------------------------------------------------

def load_cifar10(train: bool = True, subset: int | None = None, allow_synthetic: bool = True,
                 seed: int = 0) -> ImageData:
    """One split of CIFAR-10 as NumPy arrays: images float32 (N, 3, 32, 32) in [0, 1], labels int64 (N,).

    Args:
        train: the training split (50 000 images), else the test split (10 000).
        subset: keep the first ``subset`` images of a fixed order in which the classes take turns.
        allow_synthetic: without the files, return the stand-in (:func:`synthetic_cifar`) and say so in one
            line; when false, raise :class:`helpers.data.DataUnavailable` instead.
        seed: the stand-in's seed (its training images use ``seed``, its test images ``seed + 1``).
    Returns:
        an :class:`ImageData` named ``"CIFAR10"``, ``source`` ``"real"`` or ``"synthetic"``. In quick mode the
        training split keeps at most ``QUICK_TRAIN_SIZE`` images; the test split stays whole.
    """
    if quick_mode() and train:
        subset = min(subset or QUICK_TRAIN_SIZE, QUICK_TRAIN_SIZE)
    try:
        images, labels = _real_split(_locate(train), train)
        source = "real"
    except DataUnavailable as error:
        if not allow_synthetic:
            raise
        images, labels = _stand_in_split(train, seed)
        source = "synthetic"
        n = len(labels) if subset is None else min(subset, len(labels))
        split = "training" if train else "test"
        print(f"NOTE: a generated stand-in replaces CIFAR-10 ({n} {split} images): {error}")
    if subset is not None:
        keep = balanced_order(labels)[:subset]
        images, labels = images[keep], labels[keep]
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / np.float32(255.0)
    return ImageData(np.array(images, dtype=np.float32), np.array(labels, dtype=np.int64), source, NAME)


def training_statistics() -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and (population) standard deviation of the whole training split, as loaded outside quick mode.

    Real data: all 50 000 images; the stand-in: all ``STAND_IN_TRAIN``. Both float32 of shape (3,), on the [0, 1]
    scale of :func:`load_cifar10`. Computed once per process (quietly: no note is printed).
    """
    try:
        folder = _locate(True)
    except DataUnavailable:
        key: tuple = ("stand-in",)
    else:
        key = (str(folder),)
    if key not in _STATISTICS:
        if key == ("stand-in",):
            images = _stand_in_split(True, 0)[0]
            channels = [images[:, c].astype(np.float64) for c in range(3)]
            mean = [x.mean() for x in channels]
            std = [x.std() for x in channels]
        else:  # uint8: count each of the 256 values per channel, exact and without a float copy of 600 MB
            images = _real_split(folder, True)[0]
            values = np.arange(256, dtype=np.float64) / 255.0
            mean, std = [], []
            for c in range(3):
                counts = np.bincount(images[:, c].ravel(), minlength=256)
                mu = counts @ values / counts.sum()
                mean.append(mu)
                std.append(np.sqrt(counts @ (values - mu) ** 2 / counts.sum()))
        _STATISTICS[key] = _frozen(np.array(mean, dtype=np.float32), np.array(std, dtype=np.float32))
    mean, std = _STATISTICS[key]
    return mean.copy(), std.copy()


# -- the stand-in ---------------------------------------------------------------------------------------------------

SIZE = 32
_RADIUS = 8.0  # the shapes' size in pixels at scale 1
# Class tints (RGB), one per class: the colour is a cue, the shape decides where the jittered colours overlap.
_TINTS = np.array([
    [0.85, 0.25, 0.20],  # 0 disc: red
    [0.20, 0.40, 0.85],  # 1 square: blue
    [0.90, 0.80, 0.20],  # 2 ring: yellow
    [0.25, 0.70, 0.30],  # 3 plus: green
    [0.75, 0.30, 0.75],  # 4 horizontal bar: magenta
    [0.20, 0.75, 0.80],  # 5 vertical bar: cyan
    [0.95, 0.55, 0.20],  # 6 diamond: orange
    [0.55, 0.30, 0.15],  # 7 two dots side by side: brown
    [0.92, 0.92, 0.92],  # 8 hollow square: white
    [0.12, 0.12, 0.30],  # 9 triangle pointing up: navy
], dtype=np.float32)
_BACKGROUND = np.array([0.478, 0.477, 0.449], dtype=np.float32)  # mean background colour, chosen for the image means


def _box(u: np.ndarray, v: np.ndarray, half_width: float, half_height: float) -> np.ndarray:
    """Signed distance (negative inside) of a centred axis-aligned box, in the shape's own units."""
    return np.maximum(np.abs(u) - half_width, np.abs(v) - half_height)


def _shape_distance(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance (about; negative inside) to the shape of class ``label``; u is mirrored, so all are symmetric."""
    r, au = _RADIUS, np.abs(u)
    if label == 0:  # disc
        return np.hypot(u, v) - r
    if label == 1:  # square
        return _box(u, v, 0.85 * r, 0.85 * r)
    if label == 2:  # ring
        return np.abs(np.hypot(u, v) - 0.75 * r) - 0.25 * r
    if label == 3:  # plus
        return np.minimum(_box(u, v, 0.3 * r, 1.05 * r), _box(u, v, 1.05 * r, 0.3 * r))
    if label == 4:  # horizontal bar
        return _box(u, v, 1.15 * r, 0.35 * r)
    if label == 5:  # vertical bar
        return _box(u, v, 0.35 * r, 1.15 * r)
    if label == 6:  # diamond
        return (au + np.abs(v) - 1.15 * r) / np.sqrt(2)
    if label == 7:  # two dots side by side
        return np.hypot(au - 0.6 * r, v) - 0.42 * r
    if label == 8:  # hollow square
        return np.abs(np.maximum(au, np.abs(v)) - 0.75 * r) - 0.2 * r
    # 9: triangle pointing up, apex at v = -r, base at v = 0.8 r, half as wide as high at the base
    top, bottom, half_base = -r, 0.8 * r, 0.95 * r
    height = bottom - top
    side = (au * height - half_base * (v - top)) / np.hypot(height, half_base)
    return np.maximum(side, v - bottom)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], cells: int) -> np.ndarray:
    """Random fields (..., 32, 32): standard normal values on a (cells+1)^2 grid, bilinearly interpolated."""
    coarse = rng.standard_normal((*shape, cells + 1, cells + 1)).astype(np.float32)
    grid = np.linspace(0, cells, SIZE)
    left = np.minimum(np.floor(grid).astype(int), cells - 1)
    weight = (grid - left).astype(np.float32)
    interp = np.zeros((SIZE, cells + 1), dtype=np.float32)  # (32, cells+1): each row mixes two grid points
    interp[np.arange(SIZE), left] = 1 - weight
    interp[np.arange(SIZE), left + 1] = weight
    return interp @ coarse @ interp.T


def synthetic_cifar(n: int, seed: int = 0) -> ImageData:
    """``n`` generated images of ten classes of coloured shapes, 32 x 32 RGB like CIFAR-10.

    Class k is one shape (disc, square, ring, plus, horizontal bar, vertical bar, diamond, two dots side by side,
    hollow square, triangle pointing up) in a tint of its own with a random colour and brightness jitter,
    shifted by up to 3 pixels, scaled by 0.8-1.2, with soft edges and some texture, on a smooth noisy background.
    Every shape is symmetric left to right, so a mirrored image is still of its class. Labels are balanced (a
    random order of ``arange(n) % 10``), the result is the same for the same seed.

    Returns:
        an :class:`ImageData` with images float32 (n, 3, 32, 32) in [0, 1], labels int64 (n,), source
        ``"synthetic"``, name ``"CIFAR10"``.
    """
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)

    # Background: a base colour per image, smooth blotches (shared light plus some per channel), fine grain.
    base = _BACKGROUND + rng.normal(0, 0.08, (n, 3)).astype(np.float32)
    light = _smooth_noise(rng, (n, 1), 3)
    tint = _smooth_noise(rng, (n, 3), 4)
    images = tint  # in place from here: the arrays are large
    images *= np.float32(0.04)
    images += np.float32(0.09) * light
    images += base[:, :, None, None]
    scratch = rng.random(images.shape, dtype=np.float32)
    scratch -= np.float32(0.5)
    scratch *= np.float32(0.1)
    images += scratch  # grain, std 0.03

    # Foreground: where each image's shape lies, the shape's jittered colour with a little texture.
    centre = (SIZE - 1) / 2 + rng.uniform(-3, 3, (n, 2)).astype(np.float32)
    scale = rng.uniform(0.8, 1.2, n).astype(np.float32)
    colour = _TINTS[labels] * rng.uniform(0.8, 1.15, (n, 1)).astype(np.float32)
    colour += rng.normal(0, 0.1, (n, 3)).astype(np.float32)
    ink = colour[:, :, None, None] + 0.05 * _smooth_noise(rng, (n, 1), 6)
    mask = np.empty((n, 1, SIZE, SIZE), dtype=np.float32)
    axis = np.arange(SIZE, dtype=np.float32)
    for label in range(10):
        idx = np.flatnonzero(labels == label)
        s = scale[idx, None, None]
        u = (axis[None, None, :] - centre[idx, 1, None, None]) / s  # (k, 1, 32): columns, in shape units
        v = (axis[None, :, None] - centre[idx, 0, None, None]) / s  # (k, 32, 1): rows
        distance = _shape_distance(label, *np.broadcast_arrays(u, v)) * s  # back to pixels
        mask[idx, 0] = np.clip(0.5 - distance, 0, 1)  # one pixel of soft edge
    np.subtract(ink, images, out=scratch)
    scratch *= mask
    images += scratch
    np.clip(images, 0, 1, out=images)
    return ImageData(images.astype(np.float32, copy=False), labels, "synthetic", NAME)
