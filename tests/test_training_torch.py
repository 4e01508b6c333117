"""Tests of helpers.training_torch (the PyTorch loop) and of the bracket helpers of helpers.checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks import bracket_points, describe_brackets
from helpers.training_torch import AccuracyHistory, fit, load_weights, make_loader, save_weights, split_indices

torch = pytest.importorskip("torch")


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), data=st.data())
def test_split_indices_is_a_partition(n, data):
    val_size = data.draw(st.integers(0, n - 1))
    train, val = split_indices(n, val_size, seed=data.draw(st.integers(0, 5)))
    assert len(val) == val_size and len(train) == n - val_size
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(n))


def test_split_indices_repeats_with_its_seed_and_refuses_bad_sizes():
    assert all(np.array_equal(a, b) for a, b in zip(split_indices(100, 10, 3), split_indices(100, 10, 3)))
    assert not np.array_equal(split_indices(100, 10, 3)[1], split_indices(100, 10, 4)[1])
    with pytest.raises(ValueError):
        split_indices(10, 10)


def test_make_loader_batches_and_dtypes():
    images = np.random.default_rng(0).random((10, 1, 28, 28))
    labels = np.arange(10)
    batches = list(make_loader(images, labels, batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and tuple(x.shape) == (4, 1, 28, 28)
    first = [y.tolist() for _, y in make_loader(images, labels, 4, shuffle=True, seed=1)]
    again = [y.tolist() for _, y in make_loader(images, labels, 4, shuffle=True, seed=1)]
    assert first == again and sorted(sum(first, [])) == list(range(10))


def test_history_records_saves_and_loads(tmp_path):
    h = AccuracyHistory()
    h.record(epoch=1, train_loss=0.5, train_acc=0.8, val_acc=0.75, seconds=1.0)
    h.record(epoch=2, train_loss=0.4, train_acc=0.85, val_acc=0.8, seconds=1.0)
    assert len(h) == 2 and h.test_acc == []
    assert "val_acc 80.00 %" in h.summary()
    with pytest.raises(KeyError):
        h.record(accuracy=1.0)
    loaded = AccuracyHistory.load(h.save(tmp_path / "h.json"))
    assert loaded == h


def _toy(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 1, 28, 28, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return x, y


def _epoch(model, loader, optimizer, loss_fn, device):
    # a plain epoch written for this test (the notebooks write their own)
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _accuracy(model, loader, device):
    model.eval()
    with torch.no_grad():
        hits = [(model(x.to(device)).argmax(1) == y.to(device)).float() for x, y in loader]
    return torch.cat(hits).mean().item()


def test_fit_records_every_epoch_and_learns(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # no progress bar, as under the grader
    x, y = _toy()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = make_loader(x, y, 16, shuffle=True)
    h = fit(model, opt, torch.nn.CrossEntropyLoss(), loader, 3, train_epoch=_epoch, evaluate=_accuracy,
            val_loader=make_loader(x, y, 64), test_loader=make_loader(x, y, 64), device=torch.device("cpu"))
    assert h.epoch == [1, 2, 3] and len(h.train_acc) == len(h.val_acc) == len(h.test_acc) == 3
    assert h.train_loss[-1] < h.train_loss[0] and h.val_acc[-1] > 0.8
    out = capsys.readouterr()
    assert out.err == "" and out.out.count("\n") == 3


def test_fit_records_losses_when_evaluate_returns_them_and_old_histories_still_load(monkeypatch, tmp_path):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    x, y = _toy()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
    loss_fn = torch.nn.CrossEntropyLoss()

    def loss_and_accuracy(m, loader, device):
        with torch.no_grad():
            xs, ys = next(iter(loader))
            scores = m(xs)
            return loss_fn(scores, ys).item(), (scores.argmax(1) == ys).float().mean().item()

    h = fit(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, make_loader(x, y, 16, shuffle=True), 2,
            train_epoch=_epoch, evaluate=loss_and_accuracy, test_loader=make_loader(x, y, 64),
            device=torch.device("cpu"), verbose=False)
    assert len(h.train_eval_loss) == len(h.test_loss) == len(h.test_acc) == 2 and h.val_loss == []
    assert h.test_loss[1] < h.test_loss[0] and 0.0 <= h.test_acc[-1] <= 1.0
    old = {"epoch": [1], "train_loss": [0.5], "train_acc": [0.9], "val_acc": [], "test_acc": [0.8], "seconds": [1.0]}
    (tmp_path / "old.json").write_text(__import__("json").dumps(old))
    assert AccuracyHistory.load(tmp_path / "old.json").test_loss == []


def test_fit_keeps_the_weights_of_the_best_validation_epoch(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    x, y = _toy(1)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    snapshots, scripted = [], iter([0.5, 0.9, 0.7, 0.9])

    def epoch_and_snapshot(*args):
        loss = _epoch(*args)
        snapshots.append([p.detach().clone() for p in model.parameters()])
        return loss

    def scripted_val(model, loader, device):
        return next(scripted) if loader is val_loader else 0.0

    val_loader = make_loader(x, y, 64)
    h = fit(model, opt, torch.nn.CrossEntropyLoss(), make_loader(x, y, 16), 4, train_epoch=epoch_and_snapshot,
            evaluate=scripted_val, val_loader=val_loader, device=torch.device("cpu"), verbose=False)
    assert h.val_acc == [0.5, 0.9, 0.7, 0.9]
    for kept, wanted in zip(model.parameters(), snapshots[1]):  # epoch 2: the first of the tied best
        assert torch.equal(kept, wanted)


def test_weights_round_trip(tmp_path):
    model = torch.nn.Linear(3, 2)
    other = torch.nn.Linear(3, 2)
    load_weights(other, save_weights(model, tmp_path / "w.pt"), device=torch.device("cpu"))
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), other.parameters()))


@pytest.mark.parametrize("acc, points", [(0.95, 2.0), (0.90, 2.0), (0.899, 1.5), (0.86, 1.0), (0.5, 0.0)])
def test_bracket_points(acc, points):
    brackets = [(0.90, 2), (0.88, 1.5), (0.85, 1)]
    assert bracket_points(acc, brackets) == points
    assert describe_brackets(brackets).startswith(">= 90 %: 2 pts")


@pytest.mark.parametrize("acc, points", [(0.95, 15.0), (0.9001, 15.0), (0.90, 10.0), (0.85, 5.0), (0.75, 0.0)])
def test_strict_brackets_need_more_than_the_threshold(acc, points):
    brackets = [(0.90, 15), (0.85, 10), (0.80, 5), (0.75, 3)]
    assert bracket_points(acc, brackets, strict=True) == points
    assert describe_brackets(brackets, strict=True) == "> 90 %: 15 pts, > 85 %: 10 pts, > 80 %: 5 pts, > 75 %: 3 pts"


def test_notebook_06_still_finds_the_bracket_helpers_in_its_checks():
    from helpers.checks import a06_lenet_regularization_kmnist as checks

    assert checks.bracket_points is bracket_points and checks.describe_brackets is describe_brackets


def test_augmented_batches_are_shifted_and_mirrored_copies_with_the_same_labels():
    import torch

    from helpers.training_torch import Augmented, make_loader

    rng = np.random.default_rng(0)
    images = rng.random((40, 1, 6, 5)).astype(np.float32)
    labels = np.arange(40) % 10
    augmented = Augmented(make_loader(images, labels, 16), shift=1, flip=True, seed=3)
    assert len(augmented) == 3
    seen = set()
    for (x, y), (x0, y0) in zip(augmented, make_loader(images, labels, 16)):
        assert x.shape == x0.shape and torch.equal(y, y0)
        for out, original in zip(x, x0):
            # brute force: the output must be one of the 3 x 3 shifts of the image, mirrored or not
            padded = torch.nn.functional.pad(original, (1, 1, 1, 1))
            matches = [(dy, dx, m) for dy in range(3) for dx in range(3) for m in (False, True)
                       if torch.equal(out, (lambda c: c.flip(-1) if m else c)(padded[:, dy:dy + 6, dx:dx + 5]))]
            assert matches, "an output is not a shifted (and possibly mirrored) copy of its image"
            seen.update(matches)
    assert len(seen) > 12, "the draws should cover many of the 18 shift/mirror combinations"
    first = [x for x, _ in Augmented(make_loader(images, labels, 16), 1, True, seed=3)]
    again = [x for x, _ in Augmented(make_loader(images, labels, 16), 1, True, seed=3)]
    assert all(torch.equal(a, b) for a, b in zip(first, again)), "the same seed should repeat the draws"
    epoch2 = [x for x, _ in augmented]
    assert not all(torch.equal(a, b) for a, b in zip(first, epoch2)), "every epoch should draw anew"
    plain = [x for x, _ in Augmented(make_loader(images, labels, 16), shift=0, flip=False)]
    assert torch.equal(torch.cat(plain), torch.from_numpy(images))
    with pytest.raises(ValueError, match="shift"):
        Augmented(make_loader(images, labels, 16), shift=-1)
