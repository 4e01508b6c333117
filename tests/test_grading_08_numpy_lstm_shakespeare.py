"""Notebook 08's grading code where the catalogue does not reach: the reference pieces against oracles of their own
(PyTorch and finite differences), the performance brackets, and the public checks' rule of judging one task."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.checks import CheckFailed
from helpers.checks import a08_numpy_lstm_shakespeare as checks
from helpers.checks.gradcheck import numerical_gradient, relative_error
from instructor.grading import a08_numpy_lstm_shakespeare as grading


def _inputs(seed, T=4, B=3, D=5, H=4):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H)),
            rng.standard_normal((D + H, 4 * H)), rng.standard_normal(4 * H))


def test_the_reference_sigmoid_is_torchs_and_never_overflows():
    x = np.concatenate([np.linspace(-800, 800, 401), [0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = grading.ref_sigmoid(x)
    assert np.allclose(y, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_reference_sequence_is_torchs_lstm(seed):
    X, h0, c0, W, b = _inputs(seed)
    Hs, (hT, cT), caches = grading.ref_lstm_forward(X, h0, c0, W, b)
    lstm = torch.nn.LSTM(5, 4).double()
    with torch.no_grad():  # torch's layout: weight_ih (4H, D), weight_hh (4H, H), gates i, f, g, o
        lstm.weight_ih_l0.copy_(torch.tensor(W[:5].T))
        lstm.weight_hh_l0.copy_(torch.tensor(W[5:].T))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
        out, (h_ref, c_ref) = lstm(torch.tensor(X), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    assert np.allclose(Hs, out.numpy(), atol=1e-12) and len(caches) == 4
    assert np.allclose(hT, h_ref[0].numpy(), atol=1e-12) and np.allclose(cT, c_ref[0].numpy(), atol=1e-12)


def test_the_reference_backward_passes_agree_with_finite_differences():
    X, h0, c0, W, b = _inputs(2, T=3)
    dHs = np.random.default_rng(3).standard_normal((3, 3, 4))
    _, _, caches = grading.ref_lstm_forward(X, h0, c0, W, b)
    grads = grading.ref_lstm_backward(dHs, caches)
    points = {"X": X, "h0": h0, "c0": c0, "W": W, "b": b}
    for (name, value), analytic in zip(points.items(), grads):
        def scalar(v, name=name):
            return np.sum(dHs * grading.ref_lstm_forward(**{**points, name: v})[0])
        assert relative_error(analytic, numerical_gradient(scalar, value)) < 1e-6, name


def test_the_autograd_oracle_of_one_step_matches_the_reference_step_backward():
    x, h, c, W, b = (a[0] if a.ndim == 3 else a for a in _inputs(4))
    rng = np.random.default_rng(5)
    dh, dc = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = grading.ref_step_backward(dh, dc, grading.ref_step_forward(x, h, c, W, b)[2])
    for mine, oracle in zip(ours, grading._step_backward_oracle(x, h, c, W, b, dh, dc)):
        assert np.allclose(mine, oracle, atol=1e-12)


def test_the_graders_validation_loss_is_a_plain_loop_over_characters():
    """The batched PyTorch evaluation against one character at a time, stream by stream (brute force)."""
    rng = np.random.default_rng(6)
    V, D, H, B = 5, 3, 4, 2
    params = {"E": rng.standard_normal((V, D)), "W": rng.standard_normal((D + H, 4 * H)) * 0.5,
              "b": rng.standard_normal(4 * H) * 0.5, "Wy": rng.standard_normal((H, V)), "by": rng.standard_normal(V)}
    ids = rng.integers(0, V, 41)
    total, count = 0.0, 0
    length = len(ids) // B
    for stream in ids[: B * length].reshape(B, length):
        h, c = np.zeros((1, H)), np.zeros((1, H))
        for current, following in zip(stream[:-1], stream[1:]):
            h, c, _ = grading.ref_step_forward(params["E"][[current]], h, c, params["W"], params["b"])
            scores = (h @ params["Wy"] + params["by"])[0]
            total += np.log(np.exp(scores - scores.max()).sum()) + scores.max() - scores[following]
            count += 1
    exact = grading.validation_loss(params, ids, batch_size=B, seq_len=7, dtype=torch.float64)
    assert exact == pytest.approx(total / count, rel=1e-10)
    assert grading.validation_loss(params, ids, batch_size=B, seq_len=7) == pytest.approx(total / count, rel=1e-6)


@pytest.mark.parametrize(("loss", "points"), [(1.55, 4), (1.60, 4), (1.6001, 3), (1.70, 3), (1.85, 2), (2.10, 1),
                                              (2.2, 0)])
def test_the_performance_brackets(monkeypatch, capsys, loss, points):
    monkeypatch.setattr(grading, "validation_loss", lambda params, ids: loss)
    assert grading.grade_performance({}, np.zeros(3)) == points
    assert f"-> {points} of 4 points" in capsys.readouterr().out


def test_weights_holding_nan_score_nothing_with_a_message(monkeypatch):
    monkeypatch.setattr(grading, "validation_loss", lambda params, ids: float("nan"))
    with pytest.raises(CheckFailed, match="NaN"):
        grading.grade_performance({}, np.zeros(3))


def test_with_references_swaps_every_earlier_task_and_puts_them_back():
    namespace: dict = {"np": np, "lstm_step_forward": "the student's", "sigmoid": "the student's sigmoid"}
    exec("def lstm_forward():\n    return lstm_step_forward, sigmoid", namespace)  # noqa: S102
    with grading.with_references(namespace["lstm_forward"], "sigmoid", "lstm_step_forward"):
        assert namespace["lstm_forward"]() == (grading.ref_step_forward, grading.ref_sigmoid)
    assert namespace["lstm_forward"]() == ("the student's", "the student's sigmoid")


def _notebook_with(forward_body: str, backward_body: str = "    return grading_bwd(dh, dc, cache)\n") -> dict:
    """A notebook namespace whose step functions are the reference's, changed by the given bodies."""
    namespace: dict = {"np": np, "sigmoid": grading.ref_sigmoid, "grading_fwd": grading.ref_step_forward,
                       "grading_bwd": grading.ref_step_backward}
    exec(f"def lstm_step_forward(x, h_prev, c_prev, W, b):\n{forward_body}"  # noqa: S102
         f"def lstm_step_backward(dh, dc, cache):\n{backward_body}", namespace)
    return namespace


RIGHT_FORWARD = "    return grading_fwd(x, h_prev, c_prev, W, b)\n"


def test_a_backward_check_judges_only_its_task_and_says_when_it_cannot(capsys):
    wrong = "    h, c, cache = grading_fwd(x, h_prev, c_prev, W, b)\n    return 2 * h, c, cache\n"
    for body, skipped in ((RIGHT_FORWARD, False), (wrong, True)):
        namespace = _notebook_with(body)
        checks.check_lstm_step_backward(namespace["lstm_step_forward"], namespace["lstm_step_backward"])
        out = capsys.readouterr().out
        assert ("[skipped]" in out and "lstm_step_forward" in out) == skipped, out
        assert ("relative error" in out) != skipped


def test_a_wrong_backward_fails_its_public_check_when_the_forward_is_right():
    halved = ("    dx, dh_prev, dc_prev, dW, db = grading_bwd(dh, dc, cache)\n"
              "    return dx, dh_prev, dc_prev, dW, db / 2\n")
    namespace = _notebook_with(RIGHT_FORWARD, halved)
    with pytest.raises(CheckFailed, match="db"):
        checks.check_lstm_step_backward(namespace["lstm_step_forward"], namespace["lstm_step_backward"])
