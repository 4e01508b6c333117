"""Tests of helpers.language_model: initialisation, saving, the training loop and the evaluation.

The model trained here is a correct NumPy LSTM built from the grader's reference pieces (each checked against
PyTorch in the grading tests); the evaluation is cross-checked with the grader's own torch.nn.LSTM evaluation.
"""

import math

import numpy as np
import pytest
import torch

from helpers.language_model import (
    PARAM_NAMES,
    evaluate_language_model,
    init_lstm_params,
    load_language_model,
    save_language_model,
    train_language_model,
)
from helpers.shakespeare import Vocabulary, bptt_batches, split_train_val, stand_in_play
from instructor.grading import a08_numpy_lstm_shakespeare as grading


def model_loss(params, inputs, targets, h0, c0):
    """Embedding, LSTM, linear layer and mean cross-entropy; the gradients of every parameter."""
    E, W, b, Wy, by = (params[name] for name in PARAM_NAMES)
    T, B = inputs.shape
    Hs, (hT, cT), caches = grading.ref_lstm_forward(E[inputs], h0, c0, W, b)
    H = Hs.shape[2]
    flat = Hs.reshape(T * B, H)
    loss, dlogits = grading.ref_softmax_cross_entropy(flat @ Wy + by, targets.reshape(-1))
    dX, _, _, dW, db = grading.ref_lstm_backward((dlogits @ Wy.T).reshape(T, B, H), caches)
    dE = np.zeros_like(E)
    np.add.at(dE, inputs, dX)
    return loss, {"E": dE, "W": dW, "b": db, "Wy": flat.T @ dlogits, "by": dlogits.sum(0)}, (hT, cT)


def clip(grads, max_norm):
    """Scale the gradients down to a global norm of max_norm when it is larger."""
    norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads.values()))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {name: g * scale for name, g in grads.items()}, norm


@pytest.fixture(scope="module")
def stand_in():
    """The stand-in play encoded, split 90/10, and its vocabulary."""
    text = stand_in_play(20000)
    vocab = Vocabulary.from_text(text)
    train, val = split_train_val(vocab.encode(text))
    return vocab, train, val


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- initialisation -------------------------------------------------------------------------------------------------

def test_init_shapes_and_dtype():
    V, D, H = 11, 5, 7
    params = init_lstm_params(V, D, H)
    shapes = {"E": (V, D), "W": (D + H, 4 * H), "b": (4 * H,), "Wy": (H, V), "by": (V,)}
    assert {name: value.shape for name, value in params.items()} == shapes
    assert all(value.dtype == np.float32 for value in params.values())
    assert all(value.dtype == np.float64 for value in init_lstm_params(V, D, H, dtype=np.float64).values())


def test_init_adds_the_forget_bias_to_the_forget_gate_only():
    V, D, H = 9, 4, 6
    shifted = init_lstm_params(V, D, H, seed=3, forget_bias=2.5, dtype=np.float64)
    plain = init_lstm_params(V, D, H, seed=3, forget_bias=0.0, dtype=np.float64)
    for name in PARAM_NAMES:
        difference = shifted[name] - plain[name]
        if name == "b":
            np.testing.assert_allclose(difference[H : 2 * H], 2.5, rtol=1e-12)
            difference = np.concatenate([difference[:H], difference[2 * H :]])
        np.testing.assert_array_equal(difference, 0.0, err_msg=name)
    default = init_lstm_params(V, D, H, seed=3, dtype=np.float64)  # forget_bias defaults to 1
    np.testing.assert_allclose(default["b"][H : 2 * H] - plain["b"][H : 2 * H], 1.0, rtol=1e-12)


def test_init_draws_uniform_weights_within_one_over_sqrt_h():
    V, D, H = 30, 20, 16
    params = init_lstm_params(V, D, H, seed=1, forget_bias=0.0, dtype=np.float64)
    k = 1 / math.sqrt(H)
    for name in ("W", "b", "Wy", "by"):
        values = np.abs(params[name])
        assert values.max() <= k, name
        assert values.max() > 0.8 * k and values.mean() == pytest.approx(k / 2, rel=0.25), name
    assert abs(params["E"].mean()) < 0.15 and params["E"].std() == pytest.approx(1.0, rel=0.15)
    assert np.abs(params["E"]).max() > 2 * k


def test_init_is_deterministic_for_a_seed():
    one, two, other = (init_lstm_params(7, 3, 5, seed=s) for s in (4, 4, 5))
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(one[name], two[name])
        assert not np.array_equal(one[name], other[name])


# -- saving and loading ---------------------------------------------------------------------------------------------

def _random_params(V, D, H, seed=0):
    rng = np.random.default_rng(seed)
    return {"E": rng.standard_normal((V, D)), "W": 0.5 * rng.standard_normal((D + H, 4 * H)),
            "b": 0.5 * rng.standard_normal(4 * H), "Wy": 0.5 * rng.standard_normal((H, V)),
            "by": 0.5 * rng.standard_normal(V)}


def test_save_and_load_round_trip(tmp_path):
    vocab = Vocabulary.from_text("To be, or not to be:\nthat is the question. Ünïcode!")
    params = _random_params(len(vocab), 4, 6)
    path = save_language_model(tmp_path / "model.npz", params, vocab)
    assert path == tmp_path / "model.npz" and path.is_file()
    loaded, loaded_vocab = load_language_model(path)
    assert loaded_vocab == vocab and loaded_vocab.chars == vocab.chars and "\n" in loaded_vocab.chars
    assert set(loaded) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert loaded[name].dtype == np.float32
        np.testing.assert_array_equal(loaded[name], params[name].astype(np.float32))
    as64, _ = load_language_model(str(path), dtype=np.float64)
    assert as64["W"].dtype == np.float64
    np.testing.assert_array_equal(as64["W"], params["W"].astype(np.float32).astype(np.float64))


def _save_raw(path, vocab, **arrays):
    np.savez(path, **arrays, chars=np.array(vocab.chars))
    return path


@pytest.mark.parametrize("missing", PARAM_NAMES)
def test_a_file_missing_a_parameter_is_refused_by_name(tmp_path, missing):
    vocab = Vocabulary("\nabc")
    arrays = {name: value for name, value in _random_params(4, 2, 3).items() if name != missing}
    path = _save_raw(tmp_path / "model.npz", vocab, **arrays)
    with pytest.raises(ValueError, match=f"lacks {missing}"):
        load_language_model(path)


def test_a_file_without_the_vocabulary_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, **_random_params(4, 2, 3))
    with pytest.raises(ValueError, match="lacks chars"):
        load_language_model(path)


@pytest.mark.parametrize("name, shape", [("W", (5, 13)), ("W", (6, 12)), ("b", (11,)), ("Wy", (3, 5)),
                                         ("by", (5,)), ("E", (5, 2)), ("E", (4, 3))])
def test_shapes_that_do_not_fit_together_are_refused(tmp_path, name, shape):
    vocab = Vocabulary("\nabc")  # V = 4, D = 2, H = 3
    arrays = _random_params(4, 2, 3)
    arrays[name] = np.zeros(shape)
    path = _save_raw(tmp_path / "model.npz", vocab, **arrays)
    with pytest.raises(ValueError, match="shapes"):
        load_language_model(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_language_model(tmp_path / "nothing-here.npz")


# -- evaluation -----------------------------------------------------------------------------------------------------

def test_the_reference_model_loss_is_torchs():
    """The model used below: its loss and gradients against embedding + torch.nn.LSTM + linear and autograd."""
    rng = np.random.default_rng(1)
    params = _random_params(6, 3, 4, seed=2)
    inputs, targets = rng.integers(0, 6, (5, 2)), rng.integers(0, 6, (5, 2))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    loss, grads, (hT, cT) = model_loss(params, inputs, targets, h0, c0)
    lstm = grading._lstm_module(params["W"], params["b"])
    tp = {k: torch.tensor(params[k], requires_grad=True) for k in ("E", "Wy", "by")}
    out, (h_ref, c_ref) = lstm(tp["E"][torch.as_tensor(inputs)], (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    want = torch.nn.functional.cross_entropy(out.reshape(10, 4) @ tp["Wy"] + tp["by"],
                                             torch.as_tensor(targets.reshape(-1)))
    want.backward()
    assert loss == pytest.approx(float(want.detach()), rel=1e-10)
    oracle = {k: t.grad.numpy() for k, t in tp.items()}
    oracle["W"] = torch.cat([lstm.weight_ih_l0.grad.T, lstm.weight_hh_l0.grad.T]).numpy()
    oracle["b"] = lstm.bias_ih_l0.grad.numpy()
    for name in PARAM_NAMES:
        np.testing.assert_allclose(grads[name], oracle[name], rtol=1e-8, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(hT, h_ref[0].detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(cT, c_ref[0].detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("batch_size, seq_len", [(8, 37), (5, 250), (3, 64)])
def test_evaluation_agrees_with_the_graders_torch_evaluation(stand_in, batch_size, seq_len):
    vocab, _, val = stand_in
    params = _random_params(len(vocab), 8, 16, seed=batch_size)
    ours = evaluate_language_model(model_loss, params, val, batch_size, seq_len)
    theirs = grading.validation_loss(params, val, batch_size, seq_len)
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert ours > 1.0


def test_evaluation_carries_the_state_so_the_chunk_length_does_not_matter(stand_in):
    vocab, _, val = stand_in
    params = _random_params(len(vocab), 6, 10, seed=3)
    losses = [evaluate_language_model(model_loss, params, val[:900], 4, seq_len) for seq_len in (224, 50, 7)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-10)
    assert losses[2] == pytest.approx(losses[0], rel=1e-10)


# -- training -------------------------------------------------------------------------------------------------------

SMALL = {"batch_size": 8, "seq_len": 20, "max_norm": 5.0}


def test_training_lowers_the_validation_loss(stand_in, capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    vocab, train, val = stand_in
    params = init_lstm_params(len(vocab), 8, 16, seed=0)
    start = {name: value.copy() for name, value in params.items()}
    arrays = dict(params)
    history = train_language_model(model_loss, clip, params, train, val, steps=60, lr=1e-2, eval_every=25,
                                   **SMALL)
    out = capsys.readouterr()
    assert out.err == ""
    assert "validation" in out.out and "steps 1-25 of 60" in out.out
    assert history.step == [0, 25, 50, 60]
    assert history.val_loss[-1] < history.val_loss[0] - 0.4, history.val_loss
    assert history.val_loss[0] == pytest.approx(evaluate_language_model(model_loss, start, val, 8), rel=1e-9)
    assert history.val_loss[-1] == pytest.approx(evaluate_language_model(model_loss, params, val, 8), rel=1e-9)
    assert all(params[name] is arrays[name] for name in PARAM_NAMES)  # trained in place
    assert all(params[name].dtype == np.float32 for name in PARAM_NAMES)
    assert math.isnan(history.train_loss[0]) and all(math.isfinite(v) for v in history.train_loss[1:])
    assert history.epoch == pytest.approx([s * 8 * 20 / len(train) for s in history.step])
    assert all(b >= a for a, b in zip(history.epoch, history.epoch[1:]))
    assert history.seconds[0] == 0 and all(b >= a for a, b in zip(history.seconds, history.seconds[1:]))
    assert history.val_bits == pytest.approx([v / math.log(2) for v in history.val_loss])
    assert len(history) == 4 and "bits per character" in history.summary()


def test_the_loop_takes_the_steps_of_a_hand_written_one():
    """Against a loop written out with torch.optim.Adam: the chunks in order, the state carried and reset at each
    epoch, the gradients clipped, the learning rate of each step from the warm-up cosine schedule."""
    rng = np.random.default_rng(6)
    V, D, H, B, T, steps = 7, 3, 5, 4, 6, 9
    train, val = rng.integers(0, V, 4 * 20), rng.integers(0, V, 4 * 12)  # streams of 20: 2 or 3 chunks an epoch
    params = _random_params(V, D, H, seed=6)
    kept = {name: value.copy() for name, value in params.items()}
    lr, lr_min, warmup, max_norm = 0.05, 0.005, 3, 0.5
    history = train_language_model(model_loss, clip, params, train, val, steps=steps, batch_size=B, seq_len=T, lr=lr,
                                   lr_min=lr_min, warmup=warmup, max_norm=max_norm, eval_every=4, seed=2,
                                   verbose=False)
    assert history.step == [0, 4, 8, 9]

    tensors = {name: torch.nn.Parameter(torch.tensor(value)) for name, value in kept.items()}
    opt = torch.optim.Adam(list(tensors.values()), lr=lr)
    batches = bptt_batches(train, B, T, seed=2)
    h = c = np.zeros((B, H))
    resets, losses = 0, []
    for step in range(steps):
        new_epoch, inputs, targets = next(batches)
        if new_epoch:
            h, c, resets = np.zeros((B, H)), np.zeros((B, H)), resets + 1
        current = {name: t.detach().numpy().copy() for name, t in tensors.items()}
        loss, grads, (h, c) = model_loss(current, inputs, targets, h, c)
        losses.append(loss)
        grads, _ = clip(grads, max_norm)
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name])
        if step < warmup:
            opt.param_groups[0]["lr"] = lr * (step + 1) / warmup
        else:
            fraction = (step - warmup) / (steps - warmup)
            opt.param_groups[0]["lr"] = lr_min + (lr - lr_min) * (1 + math.cos(math.pi * fraction)) / 2
        opt.step()
    assert resets >= 3  # several epochs: the reset of the state was exercised
    for name, tensor in tensors.items():
        np.testing.assert_allclose(params[name], tensor.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    assert history.train_loss[1:] == pytest.approx([np.mean(losses[:4]), np.mean(losses[4:8]), losses[8]],
                                                   rel=1e-10)


def test_saving_without_the_suffix_returns_the_file_numpy_wrote(tmp_path):
    params = init_lstm_params(3, 2, 2)
    path = save_language_model(tmp_path / "model", params, Vocabulary("abc"))
    assert path == tmp_path / "model.npz" and path.exists()
    assert load_language_model(path)[1] == Vocabulary("abc")
