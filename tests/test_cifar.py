"""Tests of helpers.cifar: reading the batches, the fall-back to the stand-in, the cache, the statistics, and the
stand-in itself (shapes, balance, symmetry, and that a small CNN learns it in a quick run)."""

import os
import pickle
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import cifar, data
from helpers.cifar import (
    CIFAR10_CLASSES,
    STAND_IN_TEST,
    STAND_IN_TRAIN,
    cifar_files_present,
    load_cifar10,
    synthetic_cifar,
    training_statistics,
)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts without arrays cached by another (the cache outlives a test's data root)."""
    cifar.clear_cache()
    yield
    cifar.clear_cache()


def _write_batch(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """A python-pickle batch as in the official archive: uint8 (N, 3072) data and a list of labels."""
    batch = {b"batch_label": path.name.encode(), b"labels": [int(y) for y in labels],
             b"data": images.reshape(len(images), -1).astype(np.uint8), b"filenames": [b"x.png"] * len(labels)}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def _fake_cifar(root: Path, per_batch: int = 6, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``root/cifar-10-batches-py/`` with the six batch files of ``per_batch`` random images each; returns them."""
    folder = root / cifar.FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name in (*cifar.TRAIN_FILES, *cifar.TEST_FILES):
        images = rng.integers(0, 256, size=(per_batch, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch)
        _write_batch(folder / name, images, labels)
        written[name] = images, labels
    return written


def _read_only(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        executable = stat.S_IXUSR | stat.S_IXGRP if path.is_dir() else 0
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | executable)


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in [folder, *folder.rglob("*")]}


# -- reading the real format ----------------------------------------------------------------------------------------

def test_the_batches_are_read_in_order_as_floats(isolated_data, monkeypatch):
    written = _fake_cifar(isolated_data / "data", per_batch=6)
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    train, test = load_cifar10(train=True), load_cifar10(train=False)
    assert train.source == test.source == "real" and train.name == "CIFAR10"
    assert train.images.shape == (30, 3, 32, 32) and test.images.shape == (6, 3, 32, 32)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    expected = np.concatenate([written[name][0] for name in cifar.TRAIN_FILES]).astype(np.float32) / 255
    np.testing.assert_allclose(train.images, expected, rtol=0, atol=1e-7)
    assert train.labels.tolist() == np.concatenate([written[n][1] for n in cifar.TRAIN_FILES]).tolist()
    np.testing.assert_allclose(test.images, written["test_batch"][0] / 255, rtol=0, atol=1e-7)
    assert test.labels.tolist() == written["test_batch"][1].tolist()


def test_a_read_only_shared_root_is_read_and_never_written(isolated_data, monkeypatch, capsys):
    root = isolated_data / "data"
    _fake_cifar(root)
    _read_only(root)
    before = _tree(root)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)  # present files: no download is even considered
    assert load_cifar10(train=True).source == "real" and load_cifar10(train=False).source == "real"
    training_statistics()
    assert _tree(root) == before, "something was written under COURSE_DATA_DIR"
    assert capsys.readouterr().out == "", "the real data loads quietly"


def test_the_downloads_folder_is_read_too(isolated_data):
    _fake_cifar(isolated_data / "cache", per_batch=3)
    assert cifar_files_present(isolated_data / "cache") and not cifar_files_present(isolated_data / "data")
    assert load_cifar10(train=False).source == "real"


def test_a_pickle_that_would_run_code_is_refused(isolated_data):
    _fake_cifar(isolated_data / "data", per_batch=2)
    with open(isolated_data / "data" / cifar.FOLDER / "test_batch", "wb") as f:
        pickle.dump({b"data": os.system, b"labels": []}, f)  # loading it would hand back a callable
    with pytest.raises(data.DataUnavailable, match="test_batch could not be read"):
        load_cifar10(train=False, allow_synthetic=False)


def test_a_truncated_batch_falls_back_and_says_why(isolated_data, capsys):
    _fake_cifar(isolated_data / "data", per_batch=4)
    batch = isolated_data / "data" / cifar.FOLDER / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:-200])
    loaded = load_cifar10(train=True)
    assert loaded.source == "synthetic"
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "data_batch_3" in out and "corrupt or truncated" in out


# -- falling back to the stand-in -----------------------------------------------------------------------------------

def test_offline_both_splits_are_stand_ins_announced_in_one_line_each(isolated_data, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    train = load_cifar10(train=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.count("\n") == 1 and captured.out.startswith("NOTE: ")
    root = isolated_data / "data"
    assert f"{cifar.FOLDER}/ missing from {root}/" in captured.out and "COURSE_DATA_DIR" in captured.out
    assert f"{STAND_IN_TRAIN} training images" in captured.out
    test = load_cifar10(train=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.count("\n") == 1 and f"{STAND_IN_TEST} test images" in captured.out
    assert train.source == test.source == "synthetic" and train.name == test.name == "CIFAR10"
    assert (len(train), len(test)) == (STAND_IN_TRAIN, STAND_IN_TEST)
    assert not (root.exists() and any(root.iterdir())), "nothing is written into the data root"


def test_without_the_stand_in_a_missing_dataset_raises(isolated_data):
    with pytest.raises(data.DataUnavailable, match=cifar.FOLDER):
        load_cifar10(train=False, allow_synthetic=False)


def test_training_and_test_split_fall_back_together(isolated_data, capsys):
    _fake_cifar(isolated_data / "data", per_batch=3)
    (isolated_data / "data" / cifar.FOLDER / "data_batch_5").unlink()  # the test batch alone is here
    test = load_cifar10(train=False)
    assert test.source == "synthetic", "a real test split with a stand-in training split would grade nonsense"
    assert load_cifar10(train=True).source == "synthetic"
    out = capsys.readouterr().out
    assert out.count("\n") == 2 and "data_batch_5 missing" in out and "test_batch" not in out


def test_no_download_under_the_autograder_offline_or_after_a_recent_failure(isolated_data, monkeypatch, capsys):
    attempts = []

    def failing(root, train, download):
        attempts.append((root, train, download))
        raise OSError("no network")

    monkeypatch.setattr("torchvision.datasets.CIFAR10", failing)
    load_cifar10(train=False)  # COURSE_OFFLINE=1 from conftest
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    load_cifar10(train=False)
    assert attempts == [], "offline and under the autograder nothing is downloaded"
    monkeypatch.delenv("NBGRADER_EXECUTION")
    load_cifar10(train=True)
    assert attempts == [(str(isolated_data / "cache"), True, True)], "downloads go to the cache when the root is set"
    assert (isolated_data / "cache" / "CIFAR10" / "download-failed").exists()
    captured = capsys.readouterr()
    assert captured.err == "" and "the download failed" in captured.out
    load_cifar10(train=False)
    assert len(attempts) == 1, "a failed download is not retried at every run"


def test_a_download_that_works_is_read(isolated_data, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr("torchvision.datasets.CIFAR10",
                        lambda root, train, download: _fake_cifar(Path(root), per_batch=2))
    assert load_cifar10(train=False).source == "real"
    assert cifar_files_present(isolated_data / "cache") and not (isolated_data / "data").exists()
    assert capsys.readouterr().err == ""


# -- quick mode, subsets and the cache ------------------------------------------------------------------------------

def test_quick_mode_cuts_only_the_training_split(isolated_data, monkeypatch):
    _fake_cifar(isolated_data / "data", per_batch=40)
    monkeypatch.setattr(cifar, "QUICK_TRAIN_SIZE", 20)
    monkeypatch.setenv("COURSE_QUICK", "1")
    train = load_cifar10(train=True)
    assert len(train) == 20 and len(load_cifar10(train=False)) == 40, "models are graded on the whole test set"
    assert len(load_cifar10(train=True, subset=8)) == 8 and len(load_cifar10(train=True, subset=500)) == 20
    monkeypatch.delenv("COURSE_QUICK")
    full = load_cifar10(train=True)
    assert len(full) == 200
    rows = {row.tobytes(): label for row, label in zip(full.images, full.labels)}
    assert all(rows[row.tobytes()] == label for row, label in zip(train.images, train.labels)), \
        "quick mode keeps images of the training split with their labels"


def test_the_offline_quick_training_split_is_cut_and_balanced(isolated_data):
    train = load_cifar10(train=True)  # COURSE_QUICK=1 from conftest
    assert len(train) == data.QUICK_TRAIN_SIZE and len(load_cifar10(train=False)) == STAND_IN_TEST
    counts = np.bincount(train.labels, minlength=10)
    assert counts.max() - counts.min() <= 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=300), st.integers(0, 300))
def test_a_balanced_order_is_a_permutation_whose_prefixes_are_balanced(labels, k):
    labels = np.array(labels)
    order = cifar.balanced_order(labels)
    assert sorted(order.tolist()) == list(range(len(labels)))
    counts = np.bincount(labels[order[:k]], minlength=10)
    available = np.bincount(labels, minlength=10)
    # a class is short of the others in a prefix only when it has run out
    assert all(counts[c] == available[c] or counts[c] >= counts.max() - 1 for c in range(10))


def test_writing_into_a_loaded_split_does_not_change_the_next_load(isolated_data, monkeypatch):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    first = load_cifar10(train=False)
    keep = first.images.copy()
    first.images[:] = 0.0  # a student normalising in place
    first.labels[:] = 3
    again = load_cifar10(train=False)
    np.testing.assert_array_equal(again.images, keep)
    assert np.bincount(again.labels).tolist() == [STAND_IN_TEST // 10] * 10
    _fake_cifar(isolated_data / "data", per_batch=5)  # the real files now: read, not the cached stand-in
    real = load_cifar10(train=False)
    assert real.source == "real"
    real.images *= 2
    np.testing.assert_array_equal(load_cifar10(train=False).images * 2, real.images)


# -- the statistics of the training split ---------------------------------------------------------------------------

def test_training_statistics_are_those_of_the_whole_training_split_in_any_mode(isolated_data, monkeypatch):
    written = _fake_cifar(isolated_data / "data", per_batch=50)
    monkeypatch.setenv("COURSE_QUICK", "1")
    mean, std = training_statistics()
    images = np.concatenate([written[name][0] for name in cifar.TRAIN_FILES]).astype(np.float64) / 255
    assert mean.dtype == std.dtype == np.float32 and mean.shape == std.shape == (3,)
    np.testing.assert_allclose(mean, images.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, images.std(axis=(0, 2, 3)), rtol=1e-6)
    monkeypatch.delenv("COURSE_QUICK")
    np.testing.assert_array_equal(training_statistics()[0], mean)


def test_training_statistics_of_the_stand_in(isolated_data, monkeypatch, capsys):
    mean, std = training_statistics()  # quick mode: still all STAND_IN_TRAIN images
    assert capsys.readouterr().out == "", "the grader's statistics come quietly"
    monkeypatch.delenv("COURSE_QUICK")
    full = load_cifar10(train=True).images
    assert len(full) == STAND_IN_TRAIN
    np.testing.assert_allclose(mean, full.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(std, full.std(axis=(0, 2, 3)), rtol=1e-5)


# -- the stand-in ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stand_in():
    return synthetic_cifar(STAND_IN_TRAIN, seed=0)


def test_the_stand_in_has_the_shape_type_range_and_balance_of_cifar(stand_in):
    assert stand_in.images.shape == (STAND_IN_TRAIN, 3, 32, 32) and stand_in.images.dtype == np.float32
    assert stand_in.labels.dtype == np.int64 and stand_in.source == "synthetic" and stand_in.name == "CIFAR10"
    assert 0 <= stand_in.images.min() and stand_in.images.max() <= 1
    assert np.bincount(stand_in.labels).tolist() == [STAND_IN_TRAIN // 10] * 10
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[9] == "truck"


def test_the_stand_in_channels_have_distinct_means_near_cifars(stand_in):
    mean = stand_in.images.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(mean, [0.49, 0.48, 0.45], atol=0.03)
    assert min(abs(mean[0] - mean[1]), abs(mean[1] - mean[2]), abs(mean[0] - mean[2])) > 0.004
    assert (stand_in.images.std(axis=(0, 2, 3)) > 0.1).all()


@pytest.mark.parametrize("seed", [0, 7])
def test_the_stand_in_is_deterministic_for_a_seed(seed):
    a, b = synthetic_cifar(50, seed), synthetic_cifar(50, seed)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(synthetic_cifar(50, seed + 1).images, a.images)


def test_a_mirrored_image_is_nearest_its_own_class(stand_in):
    """Every shape is symmetric left to right: mirrored test images sit by their own class's mean image."""
    means = np.stack([stand_in.images[stand_in.labels == c].mean(axis=0) for c in range(10)]).reshape(10, -1)
    test = synthetic_cifar(500, seed=3)
    for images in (test.images, test.images[..., ::-1]):
        flat = images.reshape(len(images), -1)
        nearest = np.argmin(((flat[:, None] - means[None]) ** 2).sum(-1), axis=1)
        assert (nearest == test.labels).mean() > 0.5
    mirrored_means = stand_in.images[..., ::-1]
    for c in range(10):
        own = stand_in.labels == c
        diff = np.abs(mirrored_means[own].mean(axis=0) - stand_in.images[own].mean(axis=0)).max()
        assert diff < 0.1, f"class {c} is not symmetric left to right (mean images differ by {diff:.2f})"


# -- learnable: the quick run of the notebook -----------------------------------------------------------------------

def _resnet9(widths=(8, 16, 32, 64), num_classes=10):
    """The notebook's ResNet-9 (prep, layer1 + res1, layer2, layer3 + res3, max-pool head)."""
    from torch import nn

    def block(c_in, c_out, pool=False):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        return layers + [nn.MaxPool2d(2)] if pool else layers

    class Residual(nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            return x + self.body(x)

    a, b, c, d = widths
    return nn.Sequential(*block(3, a), *block(a, b, pool=True), Residual(nn.Sequential(*block(b, b), *block(b, b))),
                         *block(b, c, pool=True), *block(c, d, pool=True),
                         Residual(nn.Sequential(*block(d, d), *block(d, d))),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(d, num_classes))


def quick_run(train, test, seed=0, epochs=4, batch_size=64, max_lr=0.02):
    """Test accuracy of a quick run: SGD nesterov, one-cycle, label smoothing 0.1, shifts and mirroring.

    (With 2 epochs at max_lr 0.2 the loss of this head-unscaled ResNet-9 blows up at the peak of the cycle, on any
    data, solid colours included; 4 epochs at 0.02 learn.)
    """
    import torch

    from helpers.training_torch import Augmented, make_loader

    torch.manual_seed(seed)
    mean = train.images.mean(axis=(0, 2, 3), keepdims=True)[0]
    std = train.images.std(axis=(0, 2, 3), keepdims=True)[0]
    loader = Augmented(make_loader((train.images - mean) / std, train.labels, batch_size, shuffle=True, seed=seed),
                       shift=4, flip=True, seed=seed)
    model = _resnet9()
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                                                    steps_per_epoch=len(loader))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
            scheduler.step()
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor((test.images - mean) / std))
    return float((logits.argmax(1).numpy() == test.labels).mean())


def test_a_small_cnn_learns_the_stand_in_in_the_quick_run(isolated_data):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        accuracy = quick_run(load_cifar10(train=True), load_cifar10(train=False), seed=0)
    finally:
        torch.set_num_threads(threads)
    assert accuracy >= 0.6, f"the quick run reaches only {accuracy:.1%} on the stand-in's test images"
