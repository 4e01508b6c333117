"""Edge cases of notebook 06's grading functions that the catalogue (synthetic data, no weight files) cannot reach:
the performance cells on a real test set with handed-in, damaged or missing weight files, and the detection of
inputs modified in place."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers.checks import CheckFailed
from helpers.data import ImageData
from instructor.grading import a06_lenet_regularization_kmnist as grading

VARIANTS = ("none", "dropout", "weight_decay", "batchnorm")


class Constant(nn.Module):
    """Predicts the class of the largest entry of ``bias`` for every image."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        return self.bias.expand(len(x), 10)


def _constant(label: int) -> Constant:
    model = Constant()
    with torch.no_grad():
        model.bias[label] = 1.0
    return model


@pytest.fixture
def test_set(monkeypatch, tmp_path):
    """A 'real' test set of 2 500 images, 90 % of class 3 (so a model always saying 3 scores 0.9); cwd = tmp_path."""
    labels = np.full(2500, 3, dtype=np.int64)
    labels[::10] = 4
    data = ImageData(np.zeros((2500, 1, 28, 28), np.float32), labels, "real", "fake")
    monkeypatch.setattr(grading, "load_images", lambda name, train: data)
    monkeypatch.chdir(tmp_path)
    return data


def _no_training():
    raise NameError("name 'lenet_models' is not defined")


def test_handed_in_weights_are_graded_even_when_the_training_cell_failed(test_set, capsys):
    for variant in VARIANTS:
        torch.save(_constant(3).state_dict(), f"lenet_{variant}.pt")
    torch.save(_constant(3).state_dict(), "kmnist_cnn.pt")
    assert grading.grade_lenet_performance(Constant, _no_training) == 8.0
    assert grading.grade_kmnist_performance(Constant, _no_training) == 3.0  # 90 %: the 90 % bracket
    out = capsys.readouterr().out
    assert out.count("on 2500 real images (lenet_") == 4
    assert "on 2500 real images (kmnist_cnn.pt)" in out


def test_a_damaged_file_costs_its_own_points_only(test_set, capsys):
    for variant in VARIANTS:
        torch.save(_constant(3).state_dict(), f"lenet_{variant}.pt")
    with open("lenet_dropout.pt", "wb") as f:
        f.write(b"not a weight file")
    assert grading.grade_lenet_performance(Constant, _no_training) == 6.0
    assert "lenet_dropout.pt does not load into LeNet5('dropout')" in capsys.readouterr().out


def test_missing_files_fall_back_to_the_trained_models_without_changing_them(test_set, capsys):
    trained = {variant: _constant(3 if variant != "none" else 4) for variant in VARIANTS}
    for model in trained.values():
        model.train()
    before = {v: m.bias.detach().clone() for v, m in trained.items()}
    assert grading.grade_lenet_performance(Constant, lambda: trained) == 6.0  # 'none' says 4: 10 %, 0 points
    out = capsys.readouterr().out
    assert "[missing] lenet_none.pt was not handed in" in out
    assert out.count("(the model trained in this notebook)") == 4
    assert all(m.training and torch.equal(m.bias, before[v]) for v, m in trained.items())


def test_a_missing_trained_model_scores_zero_without_an_error(test_set, capsys):
    assert grading.grade_lenet_performance(Constant, lambda: {"none": _constant(3)}) == 2.0
    assert grading.grade_kmnist_performance(Constant, _no_training) == 0.0
    assert "no model was trained in this notebook" in capsys.readouterr().out


def test_synthetic_data_grades_the_trained_model_even_when_files_exist(test_set, monkeypatch, capsys):
    synthetic = ImageData(test_set.images, test_set.labels, "synthetic", "fake")
    monkeypatch.setattr(grading, "load_images", lambda name, train: synthetic)
    torch.save(_constant(4).state_dict(), "kmnist_cnn.pt")
    assert grading.grade_kmnist_performance(Constant, lambda: _constant(3)) == 6.0
    out = capsys.readouterr().out
    assert "synthetic images (the model trained in this notebook): 6 of 6 points" in out
    assert "[missing]" not in out


def test_inputs_modified_in_place_are_named():
    history = grading._history([0.5, 0.6], [0.4, 0.7], [0.5, 0.5])
    before = grading._snapshot({"h": history, "x": torch.ones(2)})
    grading._expect_untouched("task", "its inputs", before, {"h": history, "x": torch.ones(2)})
    history.val_acc.sort(reverse=True)
    with pytest.raises(CheckFailed, match="task modified its inputs in place"):
        grading._expect_untouched("task", "its inputs", before, {"h": history, "x": torch.ones(2)})
    with pytest.raises(CheckFailed, match="in place"):  # the same values as another dtype
        grading._expect_untouched("task", "x", grading._snapshot(torch.ones(2)), torch.ones(2, dtype=torch.float64))
