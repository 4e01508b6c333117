"""Edge cases of notebook 07's grading code that the catalogue does not reach: the oracles themselves, the
detection of inputs modified in place, the stand-in swap, and the performance brackets and model checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rapidfuzz.distance import Levenshtein

from helpers.checks import CheckFailed, stand_in_for
from instructor.grading import a07_char_translation_attention as grading


def test_the_brute_force_edit_distance_agrees_with_rapidfuzz():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = ("".join(rng.choice(list("abñ "), size=int(rng.integers(0, 6)))) for _ in range(2))
        assert grading._edit_distance_by_search(a, b) == Levenshtein.distance(a, b), (a, b)


def test_an_input_modified_in_place_is_named_and_stand_in_models_are_passed_as_they_are():
    def pads(model, sequences):
        sequences[0].append(0)
        return model

    model = object()
    with pytest.raises(CheckFailed, match="pads modified its argument `sequences` in place"):
        grading._call("pads", pads, (model, [[1, 2]]), (None, "sequences"))
    assert grading._call("identity", lambda m, s: m, (model, [[1]]), (None, "s")) is model


def test_the_stand_in_is_put_back_even_after_an_error():
    namespace: dict = {"edit_distance": "the student's"}
    exec("def error_rate():\n    return edit_distance", namespace)  # noqa: S102
    error_rate = namespace["error_rate"]
    with stand_in_for(error_rate, "edit_distance", "the stand-in"):
        assert error_rate() == "the stand-in"
    assert namespace["edit_distance"] == "the student's"
    del namespace["edit_distance"]
    with pytest.raises(RuntimeError), stand_in_for(error_rate, "edit_distance", "the stand-in"):
        raise RuntimeError
    assert "edit_distance" not in namespace


class _EchoDecoder(torch.nn.Module):
    """Writes the source sentence back: step t emits the source's symbol t + 1 (the one after <s>)."""

    def __init__(self, vocab: int, attention: bool) -> None:
        super().__init__()
        self.vocab = vocab
        self.attention = torch.nn.Identity() if attention else None

    def forward(self, tokens, state, encoder_outputs, src_mask):
        h, c = state
        src = encoder_outputs[:, :, 0].long()
        step = (h[0, :, 0].long() + 1).clamp(max=src.shape[1] - 1)
        logits = torch.full((src.shape[0], 1, self.vocab), -10.0)
        logits[torch.arange(src.shape[0]), 0, src.gather(1, step[:, None])[:, 0]] = 10.0
        return logits, (h + 1, c), None


class _Echo(torch.nn.Module):
    def __init__(self, vocab: int, attention: bool) -> None:
        super().__init__()
        self.decoder = _EchoDecoder(vocab, attention)
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def encode(self, src, lengths):
        zeros = torch.zeros(1, src.shape[0], 1)
        return src[..., None].float(), (zeros, zeros.clone()), torch.arange(src.shape[1])[None, :] < lengths[:, None]


SOURCE = "abcdefghijklmnopqrstuvwxy"  # 25 characters
STOI = grading._vocab_oracle([SOURCE + "z"])


@pytest.mark.parametrize(("kind", "edits", "points"), [("vanilla", 0, 2), ("vanilla", 13, 2), ("vanilla", 14, 1),
                                                       ("attention", 11, 2), ("attention", 14, 0)])
def test_performance_brackets_include_their_limits(kind, edits, points, capsys):
    reference = "z" * edits + SOURCE[edits:]  # error edits / 25: 13 / 25 = 0.52, 11 / 25 = 0.44
    model = _Echo(len(STOI), kind == "attention")
    assert grading.grade_performance(kind, model, [(SOURCE, reference)] * 3, STOI, STOI, 40) == points
    assert f"test error {edits / 25:.4f}" in capsys.readouterr().out


def test_a_model_of_the_other_kind_scores_nothing():
    pairs = [(SOURCE, SOURCE)]
    with pytest.raises(CheckFailed, match="vanilla model has an attention layer"):
        grading.grade_performance("vanilla", _Echo(len(STOI), True), pairs, STOI, STOI, 40)
    with pytest.raises(CheckFailed, match="attention model has no attention layer"):
        grading.grade_performance("attention", _Echo(len(STOI), False), pairs, STOI, STOI, 40)
