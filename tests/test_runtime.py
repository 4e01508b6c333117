import numpy as np
import pytest

from helpers import runtime


@pytest.mark.parametrize("value, expected", [("autograde", True), ("validate", True), ("", False), ("other", False)])
def test_in_autograde_follows_nbgrader_execution(monkeypatch, value, expected):
    monkeypatch.setenv("NBGRADER_EXECUTION", value)
    assert runtime.in_autograde() is expected
    assert runtime.show_progress() is (not expected)


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode_follows_course_quick(monkeypatch, value, expected):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("COURSE_QUICK", value)
    assert runtime.quick_mode() is expected


def test_autograding_implies_quick_mode(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "0")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.quick_mode()


def test_seed_everything_makes_numpy_and_torch_repeatable():
    import torch

    runtime.seed_everything(3)
    first = (np.random.rand(3), torch.rand(3))
    runtime.seed_everything(3)
    second = (np.random.rand(3), torch.rand(3))
    assert np.array_equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_device_is_a_torch_device():
    assert runtime.device().type in {"cpu", "cuda"}
