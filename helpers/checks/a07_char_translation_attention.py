"""Public checks for notebook 07 (character-level translation with bilinear attention).

They test properties every correct answer has (padding changes nothing, probabilities
sum to one, one step at a time equals all steps at once, worked examples on strings
made up here, agreement with the rapidfuzz edit distance) and run decoding on scripted
toy models defined below, never on the assignment's own data or numbers.

Symbols: ``PAD, SOS, EOS, UNK = 0, 1, 2, 3`` as in the notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (
    CheckFailed,
    call_quietly,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    passed,
    stand_in_for,
)

PAD, SOS, EOS, UNK = 0, 1, 2, 3
Fn = Callable[..., Any]


def _torch():
    import torch

    return torch


def _expect_long_tensor(value: Any, name: str) -> None:
    torch = _torch()
    expect_type(value, torch.Tensor, name)
    if value.dtype != torch.long:
        raise CheckFailed(f"`{name}` should hold integers (dtype torch.long), but its dtype is {value.dtype}.")


# -- vocabularies and batches ------------------------------------------------------------------

def check_build_vocab(build_vocab: Fn) -> None:
    """Specials first (0-3), then every character once, in sorted order."""
    expect_callable(build_vocab, "build_vocab")
    stoi = call_quietly(build_vocab, ["ba c", "cab"])
    expect_type(stoi, dict, "build_vocab(...)")
    want = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, " ": 4, "a": 5, "b": 6, "c": 7}
    if stoi != want:
        raise CheckFailed(f"build_vocab(['ba c', 'cab']) should be {want}, but it is {stoi}. "
                          "The four special symbols come first, then the characters in sorted order (space included).")
    passed("build_vocab: special symbols first, then the sorted characters")


def check_encode(encode: Fn) -> None:
    """encode adds <s> and </s> and maps unknown characters to <unk>."""
    expect_callable(encode, "encode")
    stoi = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, " ": 4, "a": 5, "b": 6}
    ids = call_quietly(encode, "ab ba", stoi)
    expect_type(ids, list, "encode('ab ba', stoi)")
    if [int(i) for i in ids] != [SOS, 5, 6, 4, 6, 5, EOS]:
        raise CheckFailed(f"encode('ab ba', stoi) should be [1, 5, 6, 4, 6, 5, 2] (<s>, the characters, </s>), "
                          f"but it is {ids}.")
    ids = call_quietly(encode, "axb", stoi)
    if [int(i) for i in ids] != [SOS, 5, UNK, 6, EOS]:
        raise CheckFailed(f"encode('axb', stoi) should map the unknown 'x' to <unk> (3): [1, 5, 3, 6, 2], got {ids}.")
    passed("encode: <s> ... </s> and unknown characters")


def check_decode(decode: Fn, encode: Fn | None = None) -> None:
    """decode skips <s> and <pad>, stops at </s>, and undoes encoding (worked examples; with ``encode`` given,
    also ``decode(encode(s)) == s``)."""
    expect_callable(decode, "decode")
    stoi = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, " ": 4, "a": 5, "b": 6}
    itos = {i: s for s, i in stoi.items()}
    text = call_quietly(decode, [SOS, 6, 5, 4, 5, EOS, 6, PAD], itos)
    if text != "ba a":
        raise CheckFailed(f"decode([1, 6, 5, 4, 5, 2, 6, 0], itos) should be 'ba a' (skip <s> and <pad>, "
                          f"stop at </s>), but it is {text!r}.")
    if call_quietly(decode, [5, UNK, 6], itos) != "a?b":
        raise CheckFailed("decode([5, 3, 6], itos) should write '?' for <unk>: 'a?b'.")
    encoded = {"": [SOS, EOS], "a": [SOS, 5, EOS], "ab  ba": [SOS, 5, 6, 4, 4, 6, 5, EOS]}
    for sentence, ids in encoded.items():
        tries = {str(ids): ids}
        if encode is not None:
            tries[f"encode({sentence!r})"] = call_quietly(encode, sentence, stoi)
        for shown, given in tries.items():
            back = call_quietly(decode, given, itos)
            if back != sentence:
                raise CheckFailed(f"decode({shown}, itos) should give back {sentence!r}, but it gives {back!r}.")
    passed("decode: skips <s> and <pad>, stops at </s>, '?' for <unk>, undoes encoding")


def check_pad_batch(pad_batch: Fn) -> None:
    """Tokens padded with <pad> to the longest sequence, and the true lengths."""
    torch = _torch()
    expect_callable(pad_batch, "pad_batch")
    result = call_quietly(pad_batch, [[1, 7, 2], [1, 2], [1, 5, 6, 7, 2]])
    expect_type(result, tuple, "pad_batch(...)")
    if len(result) != 2:
        raise CheckFailed("pad_batch should return a pair (tokens, lengths).")
    tokens, lengths = result
    _expect_long_tensor(tokens, "tokens")
    _expect_long_tensor(lengths, "lengths")
    expect_shape(tokens, (3, 5), "tokens for 3 sequences, the longest of length 5")
    want = torch.tensor([[1, 7, 2, 0, 0], [1, 2, 0, 0, 0], [1, 5, 6, 7, 2]])
    if not torch.equal(tokens.cpu(), want):
        raise CheckFailed(f"tokens should be {want.tolist()}, but they are {tokens.tolist()}.")
    if lengths.tolist() != [3, 2, 5]:
        raise CheckFailed(f"lengths should be [3, 2, 5], but they are {lengths.tolist()}.")
    passed("pad_batch: padding with <pad> = 0 and the true lengths")


# -- modules --------------------------------------------------------------------------------------

def _example_source(vocab: int, seed: int):
    torch = _torch()
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([6, 4, 1])
    src = torch.randint(4, vocab, (3, 6), generator=gen)
    positions = torch.arange(6)[None, :]
    src = torch.where(positions < lengths[:, None], src, torch.full_like(src, PAD))
    return src, lengths


def check_encoder(Encoder: type) -> None:  # noqa: N803 (a class is passed)
    """Output sizes, zeros at padding, padding that changes nothing, and how the final states are combined."""
    torch = _torch()
    torch.manual_seed(0)
    encoder = call_quietly(Encoder, 13, 8, 0.0).eval()
    src, lengths = _example_source(13, 1)
    with torch.no_grad():
        result = call_quietly(encoder, src, lengths)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], tuple) and len(result[1]) == 2):
        raise CheckFailed("The encoder should return (outputs, (h, c)).")
    outputs, (h, c) = result
    expect_shape(outputs, (3, 6, 8), "outputs for a batch of 3 sentences of up to 6 symbols, hidden size 8")
    expect_shape(h, (1, 3, 8), "h (one layer, batch 3, both directions together: hidden size 8)")
    expect_shape(c, (1, 3, 8), "c")
    padded = torch.arange(6)[None, :] >= lengths[:, None]
    expect_close(outputs[padded], np.zeros((int(padded.sum()), 8)), "outputs at padded positions",
                 hint="pack the sequence (pack_padded_sequence) or multiply by a mask.")
    noisy = torch.where(padded, torch.full_like(src, 5), src)
    with torch.no_grad():
        outputs2, (h2, c2) = call_quietly(encoder, noisy, lengths)
    expect_close(outputs2, outputs.numpy(), "outputs when the padding holds other symbols", atol=1e-6,
                 hint="the backward direction must start at the last real symbol, not at the end of the padding.")
    expect_close(h2, h.numpy(), "h when the padding holds other symbols", atol=1e-6)
    half = 4
    last = outputs[torch.arange(3), lengths - 1, :half]
    expect_close(h[0, :, :half], last.numpy(), "h[..., :H/2] (the forward direction's final state)", atol=1e-6,
                 hint="h = [forward final state; backward final state]; the forward one is the output at the last "
                      "real symbol.")
    expect_close(h[0, :, half:], outputs[:, 0, half:].numpy(), "h[..., H/2:] (the backward direction's final state)",
                 atol=1e-6, hint="the backward direction ends at position 0.")
    passed("Encoder: sizes, zeros at padding, padding ignored, final states [forward; backward]")


def check_attention(BilinearAttention: type) -> None:  # noqa: N803
    """Probabilities that sum to one over the real source positions, and a worked example."""
    torch = _torch()
    torch.manual_seed(1)
    attention = call_quietly(BilinearAttention, 6).eval()
    query = torch.randn(3, 6)
    keys = torch.randn(3, 5, 6)
    mask = torch.arange(5)[None, :] < torch.tensor([5, 3, 1])[:, None]
    with torch.no_grad():
        result = call_quietly(attention, query, keys, mask)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed("The attention should return (a_o, p).")
    a_o, p = result
    expect_shape(a_o, (3, 6), "a_o for a batch of 3 queries of size 6")
    expect_shape(p, (3, 5), "p for 3 queries and 5 source positions")
    expect_close(p.sum(dim=1), np.ones(3), "the sum of p over the source positions", atol=1e-6,
                 hint="softmax over the source axis (dim=1 for scores of shape (B, S)).")
    expect_close(p[~mask], np.zeros(int((~mask).sum())), "p at padded source positions", atol=1e-7,
                 hint="set the scores of padded positions to -inf before the softmax.")
    if p[0].std() < 1e-4:
        raise CheckFailed("p is the same for every source position: the scores z^T h_i should differ.")
    same = torch.randn(1, 1, 6).expand(3, 5, 6)  # every source vector equal: c must be that vector
    with torch.no_grad():
        a_o2, _ = call_quietly(attention, query, same, mask)
        want = torch.tanh(torch.cat([query, same[:, 0]], dim=1) @ attention.linear_out.weight.T)
    expect_close(a_o2, want.numpy(), "a_o when all source vectors are equal", atol=1e-6,
                 hint="then c equals that vector whatever p is, and a_o = tanh(W_o^T [q; c]).")
    passed("BilinearAttention: shapes, softmax over the real source positions, and a_o = tanh(W_o^T [q; c])")


def stand_in_attention() -> Any:
    """A module with the interface of ``BilinearAttention`` that is *not* the task's attention: equal weight on
    every real source position, and ``a_o = tanh(query + context)``.

    Checks of the decoder put it in place of the student's attention, so that they judge the decoder alone.
    """
    torch = _torch()

    class UniformAttention(torch.nn.Module):
        def forward(self, query, encoder_outputs, src_mask):
            p = src_mask.float() / src_mask.float().sum(dim=1, keepdim=True)
            return torch.tanh(query + (p.unsqueeze(-1) * encoder_outputs).sum(dim=1)), p

    return UniformAttention()


def check_decoder(Decoder: type) -> None:  # noqa: N803
    """Shapes, attention rows, causality, and one step at a time equals all steps at once.

    The attention is a stand-in (:func:`stand_in_attention`), so a mistake in ``BilinearAttention`` does not
    show up here: this check is about the decoder.
    """
    torch = _torch()
    for use_attention in (False, True):
        torch.manual_seed(2)
        decoder = call_quietly(Decoder, 11, 6, 0.0, use_attention).eval()
        if use_attention:
            decoder.attention = stand_in_attention()
        keys = torch.randn(2, 4, 6)
        mask = torch.arange(4)[None, :] < torch.tensor([4, 2])[:, None]
        state = (torch.randn(1, 2, 6), torch.randn(1, 2, 6))
        tgt = torch.tensor([[SOS, 5, 6, 7, 8], [SOS, 9, 4, EOS, PAD]])
        with torch.no_grad():
            result = call_quietly(decoder, tgt, state, keys, mask)
        if not (isinstance(result, tuple) and len(result) == 3):
            raise CheckFailed("The decoder should return (logits, state, attention).")
        logits, new_state, weights = result
        kind = "with attention" if use_attention else "without attention"
        expect_shape(logits, (2, 5, 11), f"logits {kind} for 2 target prefixes of 5 symbols and 11 symbols")
        expect_shape(new_state[0], (1, 2, 6), f"the new h {kind}")
        if use_attention:
            expect_shape(weights, (2, 5, 4), "attention weights (batch, target steps, source positions)")
            expect_close(weights.sum(dim=-1), np.ones((2, 5)), "attention rows summed over the source", atol=1e-6)
        elif weights is not None:
            raise CheckFailed("Without attention the decoder should return None as its attention weights.")
        changed = tgt.clone()
        changed[:, 3:] = 10
        with torch.no_grad():
            logits2, _, _ = call_quietly(decoder, changed, state, keys, mask)
        expect_close(logits2[:, :3], logits[:, :3].numpy(), f"logits {kind} at steps 0-2 after changing steps 3-4",
                     atol=1e-6, hint="step t may only see the target symbols up to t.")
        with torch.no_grad():
            steps, s = [], state
            for t in range(5):
                out, s, _ = call_quietly(decoder, tgt[:, t : t + 1], s, keys, mask)
                steps.append(out)
        expect_close(torch.cat(steps, dim=1), logits.numpy(), f"logits {kind}, one step at a time", atol=1e-5,
                     hint="carry the LSTM state from step to step.")
    passed("Decoder: shapes, attention rows, causality and step-by-step consistency, with and without attention "
           "(a stand-in attention, so that only the decoder is checked)")


def check_shift_targets(shift_targets: Fn) -> None:
    """Decoder input = everything but the last symbol; target = everything but the first."""
    torch = _torch()
    expect_callable(shift_targets, "shift_targets")
    tgt = torch.tensor([[SOS, 5, 6, EOS], [SOS, 7, EOS, PAD]])
    result = call_quietly(shift_targets, tgt)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed("shift_targets should return (decoder_input, decoder_target).")
    given, wanted = result
    if given.tolist() != [[1, 5, 6], [1, 7, 2]] or wanted.tolist() != [[5, 6, 2], [7, 2, 0]]:
        raise CheckFailed(f"for {tgt.tolist()} the decoder input should be [[1, 5, 6], [1, 7, 2]] and the target "
                          f"[[5, 6, 2], [7, 2, 0]], but they are {given.tolist()} and {wanted.tolist()}.")
    passed("shift_targets: the decoder sees <s> y_1 ... and predicts y_1 ... </s>")


def check_sequence_loss(sequence_loss: Fn) -> None:
    """log V for uniform logits, and padded targets do not count."""
    torch = _torch()
    expect_callable(sequence_loss, "sequence_loss")
    targets = torch.tensor([[5, 6, EOS], [7, EOS, PAD]])
    loss = call_quietly(sequence_loss, torch.zeros(2, 3, 9), targets)
    expect_shape(loss, (), "the loss")
    expect_close(loss, np.log(9), "the loss of all-zero logits over 9 symbols", rtol=1e-5, hint="that is log(9).")
    logits = torch.randn(2, 3, 9, generator=torch.Generator().manual_seed(3))
    other = logits.clone()
    other[1, 2] = 50 * torch.randn(9)
    expect_close(call_quietly(sequence_loss, other, targets), call_quietly(sequence_loss, logits, targets).item(),
                 "the loss after changing the logits at a padded target", rtol=1e-5,
                 hint="ignore_index=PAD, and average over the real targets only.")
    passed("sequence_loss: log V for uniform logits, padding ignored")


# -- decoding and evaluation -------------------------------------------------------------------

class _ScriptedDecoder:
    """A decoder that ignores everything but how many steps it has made: step t outputs script[t]."""

    def __init__(self, script: list[int], vocab: int) -> None:
        self.script, self.vocab = script, vocab

    def __call__(self, tokens, state, encoder_outputs, src_mask):
        torch = _torch()
        h, c = state
        step = int(round(h[0, 0, 0].item()))
        logits = torch.full((tokens.shape[0], 1, self.vocab), -5.0)
        symbol = self.script[min(step, len(self.script) - 1)]
        logits[:, 0, symbol] = 5.0
        return logits, (h + 1, c), None


class ScriptedTranslator:
    """A stand-in model (no weights) whose decoder emits a fixed script, to test decoding loops."""

    def __init__(self, script: list[int], vocab: int = 9) -> None:
        self.decoder = _ScriptedDecoder(script, vocab)

    def encode(self, src, lengths):
        torch = _torch()
        batch = src.shape[0]
        mask = torch.arange(src.shape[1])[None, :] < lengths[:, None]
        return torch.zeros(batch, src.shape[1], 2), (torch.zeros(1, batch, 2), torch.zeros(1, batch, 2)), mask

    def eval(self):
        return self


def check_greedy_decode(greedy_decode: Fn) -> None:
    """A scripted model: the output stops before </s>, and max_len limits it."""
    torch = _torch()
    expect_callable(greedy_decode, "greedy_decode")
    src, lengths = torch.tensor([[1, 4, 2], [1, 2, 0]]), torch.tensor([3, 2])
    got = call_quietly(greedy_decode, ScriptedTranslator([5, 6, 7, EOS, 8]), src, lengths, 10)
    expect_type(got, list, "greedy_decode(...)")
    if [[int(i) for i in row] for row in got] != [[5, 6, 7], [5, 6, 7]]:
        raise CheckFailed(f"a model that emits 5, 6, 7, </s>, 8 should be decoded as [[5, 6, 7], [5, 6, 7]] "
                          f"(stop at </s>, leave it out), but greedy_decode gives {got}.")
    got = call_quietly(greedy_decode, ScriptedTranslator([5, 6, 7, EOS]), src, lengths, 2)
    if [[int(i) for i in row] for row in got] != [[5, 6], [5, 6]]:
        raise CheckFailed(f"with max_len=2 the output should be [[5, 6], [5, 6]], but it is {got}.")
    passed("greedy_decode: stops at </s> and after max_len symbols")


class _RandomDecoder:
    """A small recurrent scorer with fixed random weights: its scores depend on the whole history."""

    def __init__(self, vocab: int, hidden: int, seed: int, eos_bias: float = -2.0) -> None:
        torch = _torch()
        g = torch.Generator().manual_seed(seed)
        self.embed = torch.randn(vocab, hidden, generator=g)
        self.recur = 0.5 * torch.randn(hidden, hidden, generator=g)
        self.out = 2.0 * torch.randn(hidden, vocab, generator=g)
        self.out[:, [PAD, SOS]] = 0.0
        self.bias = torch.zeros(vocab)
        self.bias[[PAD, SOS]] = -1e4  # never predicted
        self.bias[EOS] = eos_bias  # -2: sentences of a few symbols; higher: shorter ones

    def __call__(self, tokens, state, encoder_outputs, src_mask):
        torch = _torch()
        h, c = state
        summary = (encoder_outputs * src_mask[..., None]).sum(1)
        h = torch.tanh(h[0] @ self.recur + self.embed[tokens[:, 0]] + 0.3 * summary)
        return (h @ self.out + self.bias)[:, None], (h[None], c), None


class RandomTranslator:
    """A stand-in model with fixed random weights, to compare decoding procedures with each other."""

    def __init__(self, vocab: int = 8, hidden: int = 5, seed: int = 0, eos_bias: float = -2.0) -> None:
        torch = _torch()
        self.vocab = vocab
        self.decoder = _RandomDecoder(vocab, hidden, seed, eos_bias)
        self.source = torch.randn(vocab, hidden, generator=torch.Generator().manual_seed(seed + 1))

    def encode(self, src, lengths):
        torch = _torch()
        mask = torch.arange(src.shape[1])[None, :] < lengths[:, None]
        outputs = self.source[src] * mask[..., None]
        zeros = torch.zeros(1, src.shape[0], outputs.shape[2])
        return outputs, (torch.tanh(outputs.sum(1))[None], zeros), mask

    def eval(self):
        return self


class _PrefixDecoder:
    """A decoder that reads its next-symbol probabilities from a table of prefixes.

    The state's ``h[0, b, 0]`` numbers the prefix decoded so far in row ``b``, so a beam search that gives a
    hypothesis another hypothesis's state reads the wrong row of the table.
    """

    def __init__(self, table: dict[tuple[int, ...], dict[int, float]], vocab: int) -> None:
        self.table, self.vocab, self.prefixes = table, vocab, [()]

    def _log_probs(self, prefix: tuple[int, ...]):
        torch = _torch()
        listed = self.table.get(prefix, {EOS: 0.1})
        rest = [v for v in range(EOS, self.vocab) if v not in listed]
        probs = torch.full((self.vocab,), 1e-30, dtype=torch.float64)
        for symbol, p in listed.items():
            probs[symbol] = p
        shares = torch.arange(1, len(rest) + 1, dtype=torch.float64)  # unequal: no ties among the rest
        probs[rest] = (1 - sum(listed.values())) * shares / shares.sum()
        return probs.log()

    def __call__(self, tokens, state, encoder_outputs, src_mask):
        torch = _torch()
        h, c = state
        logits, ids = [], []
        for row in range(tokens.shape[0]):
            prefix = self.prefixes[int(round(h[0, row, 0].item()))]
            token = int(tokens[row, 0])
            if token != SOS:
                prefix = prefix + (token,)
            if prefix not in self.prefixes:
                self.prefixes.append(prefix)
            ids.append(float(self.prefixes.index(prefix)))
            logits.append(self._log_probs(prefix).float())
        new_h = h.clone()
        new_h[0, :, 0] = torch.tensor(ids)
        return torch.stack(logits)[:, None], (new_h, c), None


class PrefixTranslator(ScriptedTranslator):
    """A stand-in model whose next-symbol probabilities after each prefix come from ``table`` (unlisted prefixes:
    </s> with probability 0.1), to work out beam searches by hand."""

    def __init__(self, table: dict[tuple[int, ...], dict[int, float]], vocab: int = 9) -> None:
        self.decoder = _PrefixDecoder(table, vocab)


# greedy: 5 (0.5), 6 (0.5), </s> (0.5): probability 0.125; the best sentence is 7, 4, </s>: 0.4 * 0.9 * 0.9
_BEAM_EXAMPLE = {(): {5: 0.5, 7: 0.4, EOS: 0.05}, (5,): {6: 0.5, EOS: 0.3}, (5, 6): {EOS: 0.5},
                 (7,): {4: 0.9}, (7, 4): {EOS: 0.9}}


def check_beam_search(beam_search: Fn, greedy_decode: Fn | None = None, model: Any = None, src: Any = None,
                      lengths: Any = None) -> None:
    """A scripted model keeps its script, and on a model with known probabilities width 1 gives the greedy
    sentence and width 2 a better one. With ``greedy_decode`` given: width 1 equals your greedy decoding (on a random
    model, or on ``model``)."""
    torch = _torch()
    expect_callable(beam_search, "beam_search")
    scripted = call_quietly(beam_search, ScriptedTranslator([5, 6, EOS]), torch.tensor([[1, 4, 2]]),
                            torch.tensor([3]), 3, 10)
    expect_type(scripted, list, "beam_search(...)")
    if [[int(i) for i in row] for row in scripted] != [[5, 6]]:
        raise CheckFailed(f"a model that surely emits 5, 6, </s> should give [[5, 6]], "
                          f"but beam_search gives {scripted}.")
    src1, lengths1 = torch.tensor([[1, 4, 2]]), torch.tensor([3])
    for width, want, why in [
            (1, [5, 6], "with beam_width=1 beam search is greedy decoding: 5 (p = 0.5), then 6 (p = 0.5 after 5)"),
            (2, [7, 4], "with beam_width=2 it keeps 7 (p = 0.4) beside 5, and 7, 4, </s> (probability 0.324) beats "
                        "greedy's 5, 6, </s> (0.125); give each hypothesis the state of its parent")]:
        got = call_quietly(beam_search, PrefixTranslator(_BEAM_EXAMPLE), src1, lengths1, width, 10)
        if [[int(i) for i in row] for row in got] != [want]:
            raise CheckFailed(f"on a model with known probabilities beam_search(..., beam_width={width}) should give "
                              f"[{want}], but it gives {got}: {why}.")
    if greedy_decode is not None:
        if model is None:
            model = RandomTranslator()
            lengths = torch.tensor([4, 2, 3, 1])
            src = torch.randint(4, 8, (4, 4), generator=torch.Generator().manual_seed(5))
            src = src * (torch.arange(4)[None, :] < lengths[:, None])
        model.eval()
        with torch.no_grad():
            greedy = call_quietly(greedy_decode, model, src, lengths, 12)
            beam = call_quietly(beam_search, model, src, lengths, 1, 12)
        if [list(map(int, b)) for b in beam] != [list(map(int, g)) for g in greedy]:
            raise CheckFailed(f"beam_search with beam_width=1 should give exactly the greedy decoding {greedy}, "
                              f"but it gives {beam}.")
        passed("beam_search: the scripted model, a worked example, and width 1 equals your greedy decoding")
    else:
        passed("beam_search: the scripted model, and a worked example for widths 1 and 2")


def check_edit_distance(edit_distance: Fn) -> None:
    """Worked examples and agreement with the rapidfuzz Levenshtein distance on random strings."""
    from rapidfuzz.distance import Levenshtein

    expect_callable(edit_distance, "edit_distance")
    examples = [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2), ("same", "same", 0)]
    for a, b, want in examples:
        got = call_quietly(edit_distance, a, b)
        expect_close(got, want, f"edit_distance({a!r}, {b!r})")
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = "".join(rng.choice(list("abc "), size=int(rng.integers(0, 9))))
        b = "".join(rng.choice(list("abc "), size=int(rng.integers(0, 9))))
        expect_close(call_quietly(edit_distance, a, b), Levenshtein.distance(a, b), f"edit_distance({a!r}, {b!r})",
                     hint="rapidfuzz's Levenshtein.distance gives the expected value.")
    passed("edit_distance: worked examples and 20 random pairs agree with rapidfuzz")


def check_error_rate(error_rate: Fn) -> None:
    """Edit distance divided by the length of the reference, averaged over sentences.

    Your ``error_rate`` runs with rapidfuzz's distance in place of your ``edit_distance`` (which has its own check).
    """
    from rapidfuzz.distance import Levenshtein

    expect_callable(error_rate, "error_rate")
    with stand_in_for(error_rate, "edit_distance", Levenshtein.distance):
        expect_close(call_quietly(error_rate, ["abd"], ["abc"]), 1 / 3, "error_rate(['abd'], ['abc'])")
        expect_close(call_quietly(error_rate, ["a"], ["abcd"]), 3 / 4, "error_rate(['a'], ['abcd'])",
                     hint="divide by the length of the reference (the true translation), not of the prediction.")
        expect_close(call_quietly(error_rate, ["ab", "xyz"], ["ab", "x"]), (0 + 2 / 1) / 2,
                     "error_rate(['ab', 'xyz'], ['ab', 'x'])",
                     hint="average the per-sentence rates (not total distance / total length).")
    passed("error_rate: per-sentence edit distance / reference length, averaged (with rapidfuzz's distance in "
           "place of your edit_distance)")
