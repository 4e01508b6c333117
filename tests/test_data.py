import gzip
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from helpers import data


def _write_idx(path, array: np.ndarray) -> None:
    """An IDX file (the MNIST format) holding ``array`` (uint8), gzip-compressed."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fake_mnist(root, n=12):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for train in (True, False):
        images, labels = data.IDX_FILES[train]
        _write_idx(raw / f"{images}.gz", rng.integers(0, 256, size=(n, 28, 28)))
        _write_idx(raw / f"{labels}.gz", np.arange(n) % 10)
    return raw


def test_data_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert data.data_root() == tmp_path
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert data.data_root().name == "data" and (data.data_root().parent / "helpers").is_dir()


def _read_only(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        executable = stat.S_IXUSR | stat.S_IXGRP if path.is_dir() else 0
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | executable)


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def test_a_read_only_root_is_read_and_never_written(isolated_data, monkeypatch):
    root = isolated_data / "data"
    _fake_mnist(root, n=12)
    _read_only(root)
    before = _tree(root)
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    loaded = data.load_images("MNIST", train=False)
    assert loaded.source == "real" and loaded.images.shape == (12, 1, 28, 28)
    assert loaded.images.dtype == np.float32 and 0 <= loaded.images.min() and loaded.images.max() <= 1
    assert loaded.labels.tolist() == [i % 10 for i in range(12)]
    assert _tree(root) == before, "something was written under COURSE_DATA_DIR"


def test_a_writable_root_is_not_written_either(isolated_data):
    root = isolated_data / "data"
    _fake_mnist(root)
    before = _tree(root)
    assert len(data.load_images("MNIST", train=True, subset=5)) == 5
    assert _tree(root) == before


def test_quick_mode_shortens_the_training_split_only(isolated_data, monkeypatch):
    _fake_mnist(isolated_data / "data", n=30)
    monkeypatch.setattr(data, "QUICK_TRAIN_SIZE", 8)
    monkeypatch.setenv("COURSE_QUICK", "1")
    assert len(data.load_images("MNIST", train=True)) == 8
    assert len(data.load_images("MNIST", train=False)) == 30, "models must be graded on the whole test set"


def test_a_missing_file_gets_one_line_naming_it_and_its_folder(isolated_data, monkeypatch):
    raw = _fake_mnist(isolated_data / "data")
    (raw / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(data.DataUnavailable) as error:
        data.load_idx_arrays("MNIST", train=False)  # the test split alone is not enough either
    message = str(error.value)
    assert "\n" not in message
    assert "train-images-idx3-ubyte.gz" in message and str(raw) in message and "COURSE_DATA_DIR" in message
    assert "t10k" not in message, "only the missing file is named"


def test_the_fallback_says_so_in_one_line(isolated_data, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    loaded = data.load_images("MNIST", train=True, subset=40)
    assert loaded.source == "synthetic" and loaded.images.shape == (40, 1, 28, 28)
    out = capsys.readouterr().out
    assert "synthetic" in out and out.count("\n") == 1
    with pytest.raises(data.DataUnavailable):
        data.load_images("MNIST", allow_synthetic=False)


def test_no_download_under_the_autograder_offline_or_after_a_recent_failure(isolated_data, monkeypatch):
    attempts = []

    def failing(name):
        attempts.append(name)
        raise OSError("no network")

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr("torchvision.datasets.MNIST", lambda *a, **k: failing("MNIST"))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    data.load_images("MNIST", train=False)
    assert attempts == [], "the autograder must never download"
    monkeypatch.delenv("NBGRADER_EXECUTION")
    data.load_images("MNIST", train=False)
    assert attempts == ["MNIST"]
    assert (isolated_data / "cache" / "MNIST" / "download-failed").exists()
    data.load_images("MNIST", train=True)
    assert attempts == ["MNIST"], "a failed download is not retried at every run"


def test_downloads_go_to_the_cache_when_the_root_is_set(isolated_data, monkeypatch):
    seen = []
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr("torchvision.datasets.FashionMNIST", lambda root, **k: seen.append(root))
    with pytest.raises(data.DataUnavailable):
        data.load_idx_arrays("FashionMNIST", train=True)
    assert seen == [str(isolated_data / "cache")]


def test_files_downloaded_earlier_into_the_cache_are_found(isolated_data):
    _fake_mnist(isolated_data / "cache", n=7)
    assert data.load_images("MNIST", train=False).source == "real"


def test_a_truncated_file_is_reported(isolated_data, monkeypatch):
    raw = _fake_mnist(isolated_data / "data")
    packed = raw / "t10k-images-idx3-ubyte.gz"
    body = gzip.decompress(packed.read_bytes())
    packed.write_bytes(gzip.compress(body[:-100]))
    with pytest.raises(data.DataUnavailable, match="truncated"):
        data.load_images("MNIST", train=False, allow_synthetic=False)
    packed.write_bytes(gzip.compress(body)[:-50])  # the archive itself cut short
    with pytest.raises(data.DataUnavailable, match="could not be read"):
        data.load_images("MNIST", train=False, allow_synthetic=False)
    assert data.load_images("MNIST", train=False).source == "synthetic", "a notebook falls back and says why"


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="unknown image dataset"):
        data.find_idx_files("CIFAR10")


def test_synthetic_digits_are_balanced_deterministic_and_learnable():
    a, b = data.synthetic_digits(200, seed=1), data.synthetic_digits(200, seed=1)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert np.bincount(a.labels).tolist() == [20] * 10
    # nearest class mean on fresh samples already beats chance by far
    means = np.stack([a.images[a.labels == k].reshape(20, -1).mean(0) for k in range(10)])
    test = data.synthetic_digits(200, seed=2)
    guess = np.argmin(((test.images.reshape(200, 1, -1) - means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(guess == test.labels) > 0.6


def test_minibatches_cover_every_index_once():
    batches = list(data.minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert np.concatenate(list(data.minibatches(5, 2))).tolist() == [0, 1, 2, 3, 4]


def test_offline_notes_name_the_missing_files_and_their_folder(isolated_data, capsys):
    raw = _fake_mnist(isolated_data / "data")
    for stem in data.IDX_FILES[True]:
        (raw / f"{stem}.gz").unlink()  # KMNIST's situation here: the test set without the training set
    test = data.load_images("MNIST", train=False)
    note = capsys.readouterr().out.strip()
    assert test.source == "synthetic" and test.description == "synthetic stand-in for MNIST"
    assert len(note.splitlines()) == 1 and "test images" in note, note
    assert "test files are here" in note and "train-images-idx3-ubyte.gz" in note and f"{raw}/" in note, note
    (raw / "t10k-images-idx3-ubyte.gz").unlink()
    train = data.load_images("MNIST", train=True)
    note = capsys.readouterr().out.strip()
    assert train.description.startswith("synthetic") and "training images" in note and f"missing from {raw}/" in note
    assert "t10k-images-idx3-ubyte.gz" in note and "test files are here" not in note
