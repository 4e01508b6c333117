"""The given training loop of notebook 07: label smoothing and weight averaging against independent oracles."""

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def nb07(tmp_path_factory):
    """The notebook's set-up cells and reference solutions, on the toy language (no real pairs in the data root)."""
    from bench.train_reference_07_char_translation_attention import notebook_namespace

    root = tmp_path_factory.mktemp("nb07")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_DATA_DIR", str(root / "data"))
        patch.setenv("COURSE_CACHE_DIR", str(root / "cache"))
        yield notebook_namespace()


def _model(ns, seed=0):
    torch.manual_seed(seed)
    return ns["Translator"](len(ns["src_stoi"]), len(ns["tgt_stoi"]), hidden_size=16, dropout=0.0, attention=True)


def _train(ns, pairs, **settings):
    model = _model(ns)
    history = ns["train_translator"](model, pairs, pairs[:8], lr=0.01, batch_size=len(pairs), verbose=False,
                                     **settings)
    return model, history


def test_label_smoothing_is_torch_label_smoothed_cross_entropy(nb07):
    # with lr = 0 the one step changes nothing, so the recorded loss is that of the initial weights
    pairs = nb07["train_pairs"][:24]
    for epsilon in (0.0, 0.1, 0.3):
        model = _model(nb07)
        history = nb07["train_translator"](model, pairs, pairs[:4], epochs=1, lr=0.0, batch_size=len(pairs),
                                           verbose=False, label_smoothing=epsilon)
        src, lengths, tgt = next(nb07["make_batches"](nb07["encode_pairs"](pairs), len(pairs), True, seed=0))
        with torch.no_grad():
            logits, _ = _model(nb07)(src, lengths, tgt[:, :-1])
        want = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1),
                                                 ignore_index=0, label_smoothing=epsilon)
        assert history["loss"][0] == pytest.approx(want.item(), rel=1e-5), f"epsilon {epsilon}"


def test_weight_averaging_keeps_the_moving_average(nb07):
    pairs = nb07["train_pairs"][:32]  # one batch: one step per epoch
    plain, _ = _train(nb07, pairs, epochs=3)
    # a decay near 0: the average is the last step's weights, so the run is the plain one
    fast, _ = _train(nb07, pairs, epochs=3, ema_decay=1e-12)
    for name, value in plain.state_dict().items():
        torch.testing.assert_close(fast.state_dict()[name], value, msg=name)
    # a decay near 1: the average stays at its first value, the weights after the first step
    one_step, _ = _train(nb07, pairs, epochs=1)
    slow, history = _train(nb07, pairs, epochs=3, ema_decay=1 - 1e-12)
    for name, value in one_step.state_dict().items():
        torch.testing.assert_close(slow.state_dict()[name], value, msg=name)
    assert not all(torch.equal(slow.state_dict()[k], v) for k, v in plain.state_dict().items())
    assert len(history["val_error"]) == 3
