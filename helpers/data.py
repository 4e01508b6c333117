"""Datasets: where they live, how they are fetched, and the synthetic stand-ins used offline.

Where the data lives
--------------------
``COURSE_DATA_DIR`` names the dataset root; without it, the root is ``data/`` at
the top of the repository. Image datasets follow torchvision's layout:
``<root>/MNIST/raw/train-images-idx3-ubyte[.gz]`` and so on.

How it is fetched
-----------------
1. Unpacked files under the root: read them.
2. Only the ``.gz`` files under the root (as in a read-only shared folder): they
   are checked (MD5) and unpacked by torchvision, in place when the folder is
   writable, else into the cache ``COURSE_CACHE_DIR`` (default
   ``~/.cache/dl-course``). No network is used.
3. Nothing there: torchvision downloads them (``download=True``).
4. No network either: :class:`DataUnavailable` says which files to put where,
   and the notebook loaders fall back to :func:`synthetic_digits` and say so.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.runtime import quick_mode

ENV_DATA_DIR = "COURSE_DATA_DIR"
ENV_CACHE_DIR = "COURSE_CACHE_DIR"
IMAGE_DATASETS = ("MNIST", "FashionMNIST", "KMNIST")
IDX_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataUnavailable(RuntimeError):
    """The dataset is neither on disk nor downloadable; the message says what to put where."""


def data_root() -> Path:
    """The dataset root: ``$COURSE_DATA_DIR``, else ``data/`` at the repository root."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[1] / "data"


def cache_root() -> Path:
    """Where files unpacked from a read-only root go: ``$COURSE_CACHE_DIR`` or ``~/.cache/dl-course``."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dl-course"


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


def _torchvision_class(name: str):
    import torchvision.datasets as tvd

    if name not in IMAGE_DATASETS:
        raise ValueError(f"unknown image dataset {name!r}; choose one of {IMAGE_DATASETS}")
    return getattr(tvd, name)


def _unpack_into(raw_from: Path, raw_to: Path) -> None:
    """Unpack every ``.gz`` of ``raw_from`` into ``raw_to``, atomically.

    Each file is written under a temporary name and renamed when complete, so a
    process that starts while another one unpacks (two notebooks, a grader's
    pool) never reads a half-written file.
    """
    raw_to.mkdir(parents=True, exist_ok=True)
    for packed in raw_from.glob("*.gz"):
        target = raw_to / packed.name[:-3]
        if not target.exists():
            with tempfile.NamedTemporaryFile(dir=raw_to, prefix=f".{target.name}.", delete=False) as dst:
                try:
                    with gzip.open(packed, "rb") as src:
                        shutil.copyfileobj(src, dst)
                except BaseException:
                    Path(dst.name).unlink(missing_ok=True)  # a corrupt or interrupted unpack leaves nothing behind
                    raise
            os.replace(dst.name, target)


def _writable(folder: Path) -> bool:
    """Whether we may write into ``folder``: its mode allows it (root ignores modes, so check them too)."""
    return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & stat.S_IWUSR)


def _missing_message(name: str, train: bool, root: Path, error: Exception | None) -> str:
    # torchvision needs all four files of a dataset, whichever split is asked for
    files = ", ".join(f"{f}.gz" for split in (True, False) for f in IDX_FILES[split])
    reason = f" (download failed: {str(error).splitlines()[0]})" if error else ""
    return (
        f"{name} ({'train' if train else 'test'} split) is not available{reason}.\n"
        f"Put {files} in {root / name / 'raw'}/ (they are unpacked automatically), "
        f"or set {ENV_DATA_DIR} to a folder that holds {name}/raw/."
    )


def load_torchvision(name: str, train: bool = True, root: Path | None = None, download: bool = True):
    """The torchvision dataset ``name`` (MNIST, FashionMNIST, KMNIST), found or fetched as described above."""
    cls = _torchvision_class(name)
    root = Path(root) if root is not None else data_root()
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError:
        pass
    raw = root / name / "raw"
    if raw.is_dir() and any(raw.glob("*.gz")):
        if _writable(raw):
            _unpack_into(raw, raw)
            try:
                return cls(str(root), train=train, download=False)
            except RuntimeError:
                pass
        else:
            cached = cache_root()
            _unpack_into(raw, cached / name / "raw")
            try:
                return cls(str(cached), train=train, download=False)
            except RuntimeError:
                pass
    if not download:
        raise DataUnavailable(_missing_message(name, train, root, None))
    try:
        return cls(str(root), train=train, download=True)
    except Exception as error:  # URLError, RuntimeError from every mirror, ...
        raise DataUnavailable(_missing_message(name, train, root, error)) from error


def load_images(name: str = "MNIST", train: bool = True, subset: int | None = None,
                allow_synthetic: bool = True, seed: int = 0) -> ImageData:
    """An image dataset as NumPy arrays, the first ``subset`` examples when given.

    In quick mode (tests, the demo, autograding) at most 512 examples are kept.
    When the real files cannot be had and ``allow_synthetic`` is true, a
    synthetic stand-in of the same shape is returned and a notice is printed.
    """
    if quick_mode():
        subset = min(subset or 512, 512)
    try:
        dataset = load_torchvision(name, train=train)
    except DataUnavailable as error:
        if not allow_synthetic:
            raise
        n = subset or (2000 if train else 500)
        print(f"NOTE: using synthetic digits instead of {name}.\n{error}")
        return synthetic_digits(n, seed=seed + (0 if train else 1), name=name)
    images = dataset.data.numpy()
    labels = dataset.targets.numpy()
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
