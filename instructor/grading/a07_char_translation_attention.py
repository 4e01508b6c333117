"""Grading code of notebook 07 (character-level translation with bilinear attention): what its hidden tests call.

Each ``grade_<task>`` takes the student's object for that task, calls it on copies of seeded inputs through
``call_quietly``, compares it with an oracle written here (loops over the formulas, the LSTM cell equations,
a breadth-first search over edit scripts, decoding procedures run one sentence and one prefix at a time) and
raises ``CheckFailed`` naming the task. A task built on an earlier one runs with the oracle of that one:

- the decoder with :class:`_OracleAttention` in place of the student's ``BilinearAttention``;
- ``error_rate`` with rapidfuzz's distance in place of the student's ``edit_distance``;
- greedy decoding and beam search on stand-in models with fixed random weights (``RandomTranslator`` of the
  public checks), never on the student's encoder or decoder;
- the performance cells translate with the oracles of encoding, padding, greedy decoding and decoding here, so
  only the trained model is judged (a wrong ``greedy_decode`` costs its own cell's points, not these).

Symbols: ``PAD, SOS, EOS, UNK = 0, 1, 2, 3`` as in the notebook.
"""

from __future__ import annotations

import copy
import itertools
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from rapidfuzz.distance import Levenshtein

from helpers.checks import CheckFailed, call_quietly, expect_close, stand_in_for, unchanged
from helpers.checks.a07_char_translation_attention import RandomTranslator

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
Fn = Callable[..., Any]


# -- calling the student's code --------------------------------------------------------------------------


def _show(value: Any) -> str:
    """A short description of an argument for a message."""
    if isinstance(value, torch.Tensor) and value.numel() > 12:
        return f"a tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 160 else text[:150] + " ..."


def _call(task: str, fn: Fn, args: Sequence[Any], names: Sequence[str | None]) -> Any:
    """``fn(*args)`` quietly, on deep copies of the arguments that have a name; fails, naming ``task``, if it
    changed one of them. Arguments named None (a stand-in model) are passed as they are."""
    given = [a if name is None else copy.deepcopy(a) for a, name in zip(args, names, strict=True)]
    result = call_quietly(fn, *given)
    for name, before, after in zip(names, args, given):
        if name is not None and not unchanged(before, after):
            raise CheckFailed(f"{task} modified its argument `{name}` in place (before the call: {_show(before)}; "
                              f"after: {_show(after)}). The notebook uses `{name}` again afterwards: work on a copy.")
    return result


def _as_ids(rows: Any, task: str) -> list[list[int]]:
    """A decoding's output as lists of ints (fails, naming ``task``, if it is not a list of rows of symbols)."""
    try:
        return [[int(i) for i in row] for row in rows]
    except (TypeError, ValueError) as error:
        raise CheckFailed(f"{task} should return a list of lists of symbol indices, but it returned {rows!r} "
                          f"({error}).") from None


# -- vocabularies and batches ----------------------------------------------------------------------------

def _vocab_oracle(sentences: Sequence[str]) -> dict[str, int]:
    stoi = {symbol: index for index, symbol in enumerate(SPECIALS)}
    for character in sorted({c for sentence in sentences for c in sentence}):
        stoi[character] = len(stoi)
    return stoi


def _encode_oracle(sentence: str, stoi: dict[str, int]) -> list[int]:
    return [SOS] + [stoi[c] if c in stoi else UNK for c in sentence] + [EOS]


def _decode_oracle(ids: Sequence[int], itos: dict[int, str]) -> str:
    text = ""
    for index in map(int, ids):
        if index == EOS:
            break
        if index not in (PAD, SOS):
            text += "?" if index == UNK else itos[index]
    return text


def _pad_oracle(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    rows = [[int(v) for v in s] + [PAD] * (width - len(s)) for s in sequences]
    return torch.tensor(rows, dtype=torch.long), torch.tensor([len(s) for s in sequences], dtype=torch.long)


def grade_build_vocab(build_vocab: Fn) -> None:
    """Three sets of random sentences (seed 701), Spanish characters, spaces and an upper-case letter included
    (kept as it is: the symbols are the characters as they occur)."""
    rng = np.random.default_rng(701)
    for _ in range(3):
        sentences = ["".join(rng.choice(list("abcdefgh .?ñéA"), size=int(rng.integers(1, 9)))) for _ in range(5)]
        got = _call("build_vocab", build_vocab, (sentences,), ("sentences",))
        want = _vocab_oracle(sentences)
        if not isinstance(got, Mapping) or dict(got) != want:
            raise CheckFailed(f"build_vocab({sentences}) gives {got}, expected {want}")


def grade_encode(encode: Fn) -> None:
    """Random sentences (seed 702) with known and unknown characters (an upper-case X is unknown, not x); the
    vocabulary must stay as it was."""
    stoi = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "x": 4, "y": 5, " ": 6, "ñ": 7}
    rng = np.random.default_rng(702)
    for _ in range(5):
        sentence = "".join(rng.choice(list("xy ñzX"), size=int(rng.integers(0, 10))))
        got = _call("encode", encode, (sentence, stoi), ("sentence", "stoi"))
        want = _encode_oracle(sentence, stoi)
        if _as_ids([got], "encode")[0] != want:
            raise CheckFailed(f"encode({sentence!r}) gives {got}, expected {want}")


def grade_decode(decode: Fn) -> None:
    """Random rows (seed 712) as lists and as padded tensors, with symbols after </s>, and <s> and <pad> inside a
    sentence (skipped, not an end)."""
    itos = {0: "<pad>", 1: "<s>", 2: "</s>", 3: "<unk>", 4: "x", 5: "y", 6: " ", 7: "ñ"}
    rng = np.random.default_rng(712)
    rows = []
    for _ in range(5):
        ids = [int(i) for i in rng.integers(3, 8, size=int(rng.integers(0, 10)))]
        tail = [int(i) for i in rng.integers(0, 8, size=3)]
        rows += [[SOS, *ids, EOS, *tail], torch.tensor([SOS, *ids, PAD, PAD])]
    rows += [[5, SOS, 4, PAD, 6, UNK, EOS, 4], [PAD, 4, 5], [], torch.tensor([EOS, 4]),
             torch.tensor([], dtype=torch.long)]
    for ids in rows:
        got = _call("decode", decode, (ids, itos), ("ids", "itos"))
        want = _decode_oracle(ids, itos)
        if got != want:
            shown = f"torch.tensor({ids.tolist()})" if isinstance(ids, torch.Tensor) else str(ids)
            raise CheckFailed(f"decode({shown}, itos) gives {got!r}, expected {want!r} (<s> and <pad> are skipped, "
                              f"decoding stops at </s>, '?' stands for <unk>)")


def grade_pad_batch(pad_batch: Fn) -> None:
    """Seven random sequences (seed 703) of lengths 1-11, and a batch of one; the sequences must stay unpadded."""
    rng = np.random.default_rng(703)
    batches = [[list(rng.integers(1, 30, size=int(n))) for n in rng.integers(1, 12, size=7)], [[1, 9, 2]]]
    for sequences in batches:
        result = _call("pad_batch", pad_batch, (sequences,), ("sequences",))
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckFailed("pad_batch should return a pair (tokens, lengths).")
        tokens, lengths = result
        want_tokens, want_lengths = _pad_oracle(sequences)
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.shape != want_tokens.shape:
            raise CheckFailed(f"pad_batch: tokens should be a long tensor of shape {tuple(want_tokens.shape)}, "
                              f"but they are {tokens!r}")
        if not isinstance(lengths, torch.Tensor) or lengths.tolist() != want_lengths.tolist():
            raise CheckFailed(f"pad_batch: lengths should be {want_lengths.tolist()}, but they are {lengths!r}")
        for row in range(len(sequences)):
            if tokens[row].tolist() != want_tokens[row].tolist():
                raise CheckFailed(f"pad_batch: row {row} is {tokens[row].tolist()}, "
                                  f"expected {want_tokens[row].tolist()}")


# -- encoder, attention, decoder ---------------------------------------------------------------------------

def _padded_source(batch: int, width: int, vocab: int, lengths: list[int], generator=None) -> torch.Tensor:
    src = torch.randint(4, vocab, (batch, width), generator=generator)
    return src * (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None])


def grade_encoder(Encoder: type) -> None:  # noqa: N803 (a class is passed)
    """Each sentence alone through the encoder's own embedding and LSTM (the oracle) against the padded batch;
    a batch padded beyond its longest sentence; dropout on the embeddings and on the outputs in training mode, not
    on the final state, and none in evaluation mode."""
    task = "Encoder"
    torch.manual_seed(704)
    encoder = call_quietly(Encoder, 15, 10, 0.0).eval()
    lengths = torch.tensor([7, 3, 5, 1, 7])
    src = _padded_source(5, 7, 15, lengths.tolist())
    with torch.no_grad():
        outputs, (h, c) = _call(task, encoder, (src, lengths), ("src", "lengths"))
        if tuple(outputs.shape) != (5, 7, 10):
            raise CheckFailed(f"the encoder's outputs have shape {tuple(outputs.shape)}, expected (5, 7, 10)")
        for b in range(5):  # oracle: each sentence alone, without padding, through the same LSTM
            n = int(lengths[b])
            alone, (hb, cb) = encoder.lstm(encoder.embedding.weight[src[b, :n]][None])
            expect_close(outputs[b, :n], alone[0].numpy(), f"encoder outputs of sentence {b}", atol=1e-5)
            expect_close(outputs[b, n:], np.zeros((7 - n, 10)), f"encoder outputs of sentence {b} at padding",
                         atol=1e-7)
            expect_close(h[0, b], torch.cat([hb[0, 0], hb[1, 0]]).numpy(), f"encoder h of sentence {b}", atol=1e-5)
            expect_close(c[0, b], torch.cat([cb[0, 0], cb[1, 0]]).numpy(), f"encoder c of sentence {b}", atol=1e-5)
        wide = torch.cat([src, torch.zeros(5, 2, dtype=src.dtype)], dim=1)  # padded beyond its longest sentence
        outputs_wide, _ = _call(task, encoder, (wide, lengths), ("src", "lengths"))
    if tuple(outputs_wide.shape) != (5, 9, 10):
        raise CheckFailed(f"for a batch of width 9 the encoder's outputs have shape {tuple(outputs_wide.shape)}, "
                          f"expected (5, 9, 10) (total_length=S)")
    expect_close(outputs_wide[:, :7], outputs.numpy(), "encoder outputs of a batch padded beyond its longest sentence",
                 atol=1e-5)
    dropping = call_quietly(Encoder, 15, 10, 0.5).train()
    torch.manual_seed(705)
    first, _ = _call(task, dropping, (src, lengths), ("src", "lengths"))
    second, _ = _call(task, dropping, (src, lengths), ("src", "lengths"))
    if torch.allclose(first, second):
        raise CheckFailed("in training mode the encoder should apply dropout")
    real = (torch.arange(7)[None, :] < lengths[:, None])[..., None].expand_as(first)
    zeroed = (first[real] == 0).float().mean().item()
    if zeroed <= 0.2:
        raise CheckFailed(f"in training mode with dropout 0.5 about half of the encoder's outputs should be zero, but "
                          f"{100 * zeroed:.0f} % are: apply dropout to the LSTM outputs too")
    with torch.no_grad():
        _, (h, c) = _call(task, dropping, (src, lengths), ("src", "lengths"))
    if max((h == 0).float().mean().item(), (c == 0).float().mean().item()) > 0.1:
        raise CheckFailed("in training mode the encoder's final states h and c have entries set to zero: dropout "
                          "belongs on the embeddings and on the outputs only, not on the state passed to the decoder")
    dropping.eval()
    with torch.no_grad():
        evaluated, _ = _call(task, dropping, (src, lengths), ("src", "lengths"))
        again, _ = _call(task, dropping, (src, lengths), ("src", "lengths"))
    if not torch.equal(evaluated, again):
        raise CheckFailed("in evaluation mode (model.eval()) the encoder gives different outputs for the same batch: "
                          "dropout must be off there (nn.Dropout, or F.dropout(..., training=self.training))")
    kept = real & (first != 0)
    if torch.allclose(first[kept].detach() * 0.5, evaluated[kept], atol=1e-6):
        raise CheckFailed("in training mode the encoder's embeddings should be dropped out too (dropout before the "
                          "LSTM)")


def _attention_oracle(w_in: torch.Tensor, w_out: torch.Tensor, query: torch.Tensor, keys: torch.Tensor,
                      mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear attention written out query by query over the real source positions only, in float64:
    ``z = W_q^T q``, ``p = softmax_i(z . h_i)``, ``c = sum_i p_i h_i``, ``a_o = tanh(W_o^T [q; c])``."""
    w_in, w_out = w_in.double(), w_out.double()
    outputs, probabilities = [], torch.zeros(mask.shape, dtype=torch.float64)
    for b in range(query.shape[0]):
        q, real = query[b].double(), keys[b][mask[b]].double()
        scores = real @ (w_in @ q)
        p = torch.exp(scores - scores.max())
        p = p / p.sum()
        probabilities[b, mask[b]] = p
        outputs.append(torch.tanh(w_out @ torch.cat([q, p @ real])))
    return torch.stack(outputs).to(query.dtype), probabilities.to(query.dtype)


class _OracleAttention(torch.nn.Module):
    """The attention the decoder is graded with, in place of the student's (the weights of ``BilinearAttention``,
    the formula of :func:`_attention_oracle`): test_decoder grades the decoder alone."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.linear_in = torch.nn.Linear(hidden, hidden, bias=False)
        self.linear_out = torch.nn.Linear(2 * hidden, hidden, bias=False)

    def forward(self, query, encoder_outputs, src_mask):
        return _attention_oracle(self.linear_in.weight, self.linear_out.weight, query, encoder_outputs, src_mask)


def grade_attention(BilinearAttention: type) -> None:  # noqa: N803
    """Four queries (seed 705) over sources of 6, 2, 4 and 1 real positions, against the formulas."""
    torch.manual_seed(705)
    attention = call_quietly(BilinearAttention, 5).eval()
    query, keys = torch.randn(4, 5), torch.randn(4, 6, 5)
    mask = torch.arange(6)[None, :] < torch.tensor([6, 2, 4, 1])[:, None]
    with torch.no_grad():
        result = _call("BilinearAttention", attention, (query, keys, mask), ("query", "encoder_outputs", "src_mask"))
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckFailed("BilinearAttention should return (a_o, p)")
        a_o, p = result
        want_a, want_p = _attention_oracle(attention.linear_in.weight, attention.linear_out.weight, query, keys, mask)
    for b in range(4):
        expect_close(p[b], want_p[b].numpy(), f"attention p for query {b}", atol=1e-5)
        expect_close(a_o[b], want_a[b].numpy(), f"attention a_o for query {b}", atol=1e-5)


def _lstm_oracle(lstm: torch.nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
    """The LSTM cell equations, one step at a time: outputs (B, T, H) and the final h, c (B, H)."""
    w, u, bias = lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0 + lstm.bias_hh_l0
    outputs = []
    for t in range(x.shape[1]):
        i, f, g, o = (x[:, t] @ w.T + h @ u.T + bias).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h, c


def _decoder_with_oracle_attention(Decoder: type, vocab: int, hidden: int, dropout: float,  # noqa: N803
                                   attention: bool):
    decoder = call_quietly(Decoder, vocab, hidden, dropout, attention)
    if attention:
        decoder.attention = _OracleAttention(hidden)
    return decoder


def grade_decoder(Decoder: type) -> None:  # noqa: N803
    """With and without attention (the oracle's, seed 706): logits, final state and attention weights against the
    LSTM equations and the attention formula; then dropout (seed 707): none in evaluation mode, on about half of
    what reaches the generator and on the embeddings in training mode."""
    task = "Decoder"
    names = ("tgt_in", "state", "encoder_outputs", "src_mask")
    for use in (False, True):
        kind = "with attention" if use else "without attention"
        torch.manual_seed(706)
        decoder = _decoder_with_oracle_attention(Decoder, 12, 8, 0.0, use).eval()
        keys = torch.randn(3, 5, 8)
        mask = torch.arange(5)[None, :] < torch.tensor([5, 2, 4])[:, None]
        h0, c0 = torch.randn(1, 3, 8), torch.randn(1, 3, 8)
        tgt = torch.randint(1, 12, (3, 6))
        with torch.no_grad():
            logits, (h, c), weights = _call(task, decoder, (tgt, (h0, c0), keys, mask), names)
            queries, want_h, want_c = _lstm_oracle(decoder.lstm, decoder.embedding.weight[tgt], h0[0], c0[0])
            outputs, want_p = queries, None
            if use:
                a_o, p = _attention_oracle(decoder.attention.linear_in.weight, decoder.attention.linear_out.weight,
                                           queries.reshape(18, 8), keys.repeat_interleave(6, dim=0),
                                           mask.repeat_interleave(6, dim=0))
                outputs, want_p = a_o.reshape(3, 6, 8), p.reshape(3, 6, 5)
            want = outputs @ decoder.generator.weight.T + decoder.generator.bias
        expect_close(logits, want.numpy(), f"decoder logits {kind}", atol=1e-5)
        expect_close(h[0], want_h.numpy(), f"decoder final h {kind}", atol=1e-5)
        expect_close(c[0], want_c.numpy(), f"decoder final c {kind}", atol=1e-5)
        if use:
            expect_close(weights, want_p.numpy(), "decoder attention weights", atol=1e-5)
        elif weights is not None:
            raise CheckFailed("the vanilla decoder should return None as attention")
    # Dropout (the seed: on the embeddings and on the final outputs). The generator reads its inputs straight through
    # (identity on the first 8 logits), so half of them are zero in training mode when dropout acts on the outputs
    # that reach it; with dropout on the embeddings too, the kept ones differ from twice the evaluation outputs.
    for use in (False, True):
        kind = "with" if use else "without"
        torch.manual_seed(707)
        decoder = _decoder_with_oracle_attention(Decoder, 12, 8, 0.5, use)
        with torch.no_grad():
            decoder.generator.weight.zero_()
            decoder.generator.weight[:8, :8] = torch.eye(8)
            decoder.generator.bias.zero_()
            args = (torch.randint(1, 12, (3, 6)), (torch.randn(1, 3, 8), torch.randn(1, 3, 8)), torch.randn(3, 5, 8),
                    torch.arange(5)[None, :] < torch.tensor([5, 2, 4])[:, None])
            evaluated = _call(task, decoder.eval(), args, names)[0][..., :8]
            again = _call(task, decoder, args, names)[0][..., :8]
            trained = _call(task, decoder.train(), args, names)[0][..., :8]
        if not torch.equal(evaluated, again):
            raise CheckFailed(f"in evaluation mode the decoder {kind} attention gives different outputs for the same "
                              "batch: dropout must be off there (nn.Dropout, or F.dropout(..., "
                              "training=self.training))")
        zeroed = (trained == 0).float().mean().item()
        if not 0.3 < zeroed < 0.7:
            raise CheckFailed(f"in training mode with dropout 0.5, {100 * zeroed:.0f} % of what the decoder {kind} "
                              "attention hands to the generator is zero; about half should be: apply dropout to the "
                              "outputs " + ("after the attention, " if use else "") + "just before the generator")
        kept = trained != 0
        if torch.allclose(trained[kept] * 0.5, evaluated[kept], atol=1e-6):
            raise CheckFailed(f"in training mode the decoder {kind} attention should drop out its embeddings too "
                              "(dropout before the LSTM)")


# -- objective and evaluation --------------------------------------------------------------------------------

def grade_shift_targets(shift_targets: Fn) -> None:
    """Three padded rows (seed 707)."""
    rng = np.random.default_rng(707)
    rows = [[SOS, *(int(v) for v in rng.integers(4, 20, size=n)), EOS] for n in (5, 2, 7)]
    tgt = torch.tensor([row + [PAD] * (9 - len(row)) for row in rows])
    result = _call("shift_targets", shift_targets, (tgt,), ("tgt",))
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CheckFailed("shift_targets should return (decoder_input, decoder_target)")
    given, wanted = result
    for b in range(3):
        if given[b].tolist() != tgt[b, :-1].tolist():
            raise CheckFailed(f"shift_targets: the decoder input of row {b} is {given[b].tolist()}, "
                              f"expected {tgt[b, :-1].tolist()}")
        if wanted[b].tolist() != tgt[b, 1:].tolist():
            raise CheckFailed(f"shift_targets: the decoder target of row {b} is {wanted[b].tolist()}, "
                              f"expected {tgt[b, 1:].tolist()}")


def _sequence_loss_oracle(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean over the real (non-PAD) targets of -log softmax, position by position, in float64."""
    terms = []
    for b in range(targets.shape[0]):
        for t in range(targets.shape[1]):
            if int(targets[b, t]) != PAD:
                row = logits[b, t].double()
                terms.append(torch.logsumexp(row, 0) - row[int(targets[b, t])])
    return torch.stack(terms).mean()


def grade_sequence_loss(sequence_loss: Fn) -> None:
    """Random logits (seed 708) with rows padded after 6, 3, 1 and 5 targets: the value, the inputs left as they
    were, and the gradient the training loop back-propagates."""
    g = torch.Generator().manual_seed(708)
    logits = 3 * torch.randn(4, 6, 10, generator=g)
    targets = torch.randint(2, 10, (4, 6), generator=g)
    for b, n in enumerate((6, 3, 1, 5)):
        targets[b, n:] = PAD
    want = _sequence_loss_oracle(logits, targets)
    expect_close(_call("sequence_loss", sequence_loss, (logits, targets), ("logits", "targets")), want.item(),
                 "sequence_loss", rtol=1e-5)
    leaf, reference = logits.clone().requires_grad_(), logits.double().requires_grad_()
    loss = call_quietly(sequence_loss, leaf, targets.clone())
    if not (isinstance(loss, torch.Tensor) and loss.requires_grad):
        raise CheckFailed(f"sequence_loss should return a tensor that training can differentiate (loss.backward()), "
                          f"but for logits that require gradients it returns {loss!r}")
    loss.backward()
    _sequence_loss_oracle(reference, targets).backward()
    expect_close(leaf.grad, reference.grad.numpy(), "the gradient of sequence_loss with respect to the logits",
                 atol=1e-6)


def _edit_distance_by_search(a: str, b: str) -> int:
    """Brute force: a breadth-first search from ``a`` over single-character insertions, deletions and substitutions
    (characters of ``a`` and ``b``, strings no longer than the longer of the two) until ``b`` is reached."""
    alphabet, longest = sorted(set(a) | set(b)), max(len(a), len(b))
    seen, frontier = {a: 0}, deque([a])
    while frontier:
        s = frontier.popleft()
        if s == b:
            return seen[s]
        edits = [s[:i] + s[i + 1:] for i in range(len(s))]
        edits += [s[:i] + x + s[i + 1:] for i in range(len(s)) for x in alphabet]
        if len(s) < longest:
            edits += [s[:i] + x + s[i:] for i in range(len(s) + 1) for x in alphabet]
        for t in edits:
            if t not in seen:
                seen[t] = seen[s] + 1
                frontier.append(t)
    raise AssertionError("unreachable: b is always reached")


def grade_edit_distance(edit_distance: Fn) -> None:
    """Against the brute-force search: the boundaries (empty strings, equal strings, a swap, all insertions or all
    deletions) and 40 random pairs of up to 5 characters (seed 709); then 40 longer random pairs (up to 15
    characters, seed 709) against rapidfuzz."""
    rng = np.random.default_rng(709)
    pairs = [("", ""), ("", "ab"), ("ñe", ""), ("abc", "abc"), ("ab", "ba"), ("a b", "ab"), ("abab", "baba"),
             ("ñ", "n"), ("?", "")]
    for _ in range(40):
        pairs.append(tuple("".join(rng.choice(list("abñ "), size=int(rng.integers(0, 6)))) for _ in range(2)))
    for a, b in pairs:
        expect_close(_call("edit_distance", edit_distance, (a, b), ("a", "b")), _edit_distance_by_search(a, b),
                     f"edit_distance({a!r}, {b!r})")
    rng = np.random.default_rng(709)
    for _ in range(40):
        a, b = ("".join(rng.choice(list("abñe ?"), size=int(rng.integers(0, 16)))) for _ in range(2))
        expect_close(_call("edit_distance", edit_distance, (a, b), ("a", "b")), Levenshtein.distance(a, b),
                     f"edit_distance({a!r}, {b!r})")


def grade_error_rate(error_rate: Fn) -> None:
    """Five hand-made pairs (a prediction longer than its reference, an empty prediction, an exact one), with
    rapidfuzz's distance in place of the student's ``edit_distance``."""
    predictions = ["the cat sat .", "i am", "hello there friend", "", "tom is here ."]
    references = ["the cat sits .", "i am tall .", "hello", "yes .", "tom is here ."]
    want = float(np.mean([Levenshtein.distance(p, r) / len(r) for p, r in zip(predictions, references)]))
    with stand_in_for(error_rate, "edit_distance", Levenshtein.distance):
        got = _call("error_rate", error_rate, (predictions, references), ("predictions", "references"))
    expect_close(got, want, "error_rate on five hand-made pairs (with rapidfuzz's edit distance)")


# -- decoding ------------------------------------------------------------------------------------------------

@torch.no_grad()
def _greedy_oracle(model: Any, src: torch.Tensor, lengths: torch.Tensor, max_len: int) -> list[list[int]]:
    """Greedy decoding of a batch with ``model.encode`` and ``model.decoder``: the rows that have written </s>
    stop growing; at most ``max_len`` steps."""
    encoder_outputs, state, mask = model.encode(src, lengths)
    tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)
    outputs, open_rows = [[] for _ in range(src.shape[0])], set(range(src.shape[0]))
    for _ in range(max_len):
        logits, state, _ = model.decoder(tokens, state, encoder_outputs, mask)
        tokens = logits[:, -1].argmax(dim=-1, keepdim=True)
        for row in sorted(open_rows):
            symbol = int(tokens[row, 0])
            if symbol == EOS:
                open_rows.discard(row)
            else:
                outputs[row].append(symbol)
        if not open_rows:
            break
    return outputs


def grade_greedy_decode(greedy_decode: Fn) -> None:
    """Three stand-in models with fixed random weights (seeds 1-3, </s> likely or unlikely) on a batch of four
    sentences (seed 710), for max_len 8, 3 and 1, and two (seeds 7 and 9) whose four sentences end at different
    steps, against the oracle run one sentence at a time."""
    g = torch.Generator().manual_seed(710)
    for seed, eos_bias in ((1, 1.5), (2, 3.0), (3, -2.0)):
        model = RandomTranslator(9, 6, seed, eos_bias)
        lengths = torch.tensor([5, 3, 4, 1])
        src = _padded_source(4, 5, 9, lengths.tolist(), g)
        for max_len in (8, 3, 1):
            want = [_greedy_oracle(model, src[b : b + 1], lengths[b : b + 1], max_len)[0] for b in range(4)]
            got = _call("greedy_decode", greedy_decode, (model, src, lengths, max_len),
                        (None, "src", "lengths", "max_len"))
            if _as_ids(got, "greedy_decode") != want:
                raise CheckFailed(f"greedy_decode (max_len {max_len}) gives {got}, expected {want}")
    for seed, eos_bias in ((7, 0.5), (9, 1.0)):  # the four sentences end at different steps, some before max_len
        model = RandomTranslator(9, 6, seed, eos_bias)
        lengths = torch.tensor([5, 3, 4, 1])
        src = _padded_source(4, 5, 9, lengths.tolist(), torch.Generator().manual_seed(710))
        want = [_greedy_oracle(model, src[b : b + 1], lengths[b : b + 1], 8)[0] for b in range(4)]
        got = _call("greedy_decode", greedy_decode, (model, src, lengths, 8), (None, "src", "lengths", "max_len"))
        if _as_ids(got, "greedy_decode") != want:
            raise CheckFailed(f"greedy_decode gives {got}, expected {want}: each sentence stops at its own </s>, "
                              "and the others go on until theirs or max_len")


def _teacher_forced(model: Any, src: torch.Tensor, lengths: torch.Tensor,
                    sequence: Sequence[int]) -> tuple[float, torch.Tensor]:
    """``sequence`` (one sentence) fed to ``model`` from <s>, one decoder call per symbol, from the encoder's
    state: its log-probability, and the log-probabilities of the symbol after it (float64)."""
    encoder_outputs, state, mask = model.encode(src, lengths)
    token, total = SOS, 0.0
    for symbol in [*sequence, None]:
        logits, state, _ = model.decoder(torch.tensor([[token]]), state, encoder_outputs, mask)
        log_probs = torch.log_softmax(logits[0, -1].double(), 0)
        if symbol is None:
            return total, log_probs
        total += log_probs[symbol].item()
        token = symbol
    raise AssertionError("unreachable")


def _beam_oracle(model: Any, src: torch.Tensor, lengths: torch.Tensor, width: int, max_len: int) -> list[int]:
    """The procedure of the text for one sentence, each hypothesis re-scored from <s> (no states carried)."""
    beams, finished = [()], []
    for _ in range(max_len):
        extensions = []
        for seq in beams:
            total, log_probs = _teacher_forced(model, src, lengths, seq)
            extensions += [(seq + (v,), total + log_probs[v].item()) for v in range(model.vocab)]
        extensions.sort(key=lambda e: -e[1])
        beams = []
        for seq, score in extensions[:width]:
            if seq[-1] == EOS:
                finished.append((seq[:-1], score))
            else:
                beams.append(seq)
        if not beams:
            break
    open_beams = [(seq, _teacher_forced(model, src, lengths, seq)[0]) for seq in beams]
    return list(max(finished + open_beams, key=lambda e: e[1])[0])


def grade_beam_search(beam_search: Fn) -> None:
    """Fourteen stand-in models (seeds 4-17, </s> likely or not) on three sentences (seed 711), widths 1-4,
    against the oracle; and a beam wider than all hypotheses against an exhaustive search."""
    names = (None, "src", "lengths", "beam_width", "max_len")
    g = torch.Generator().manual_seed(711)
    for seed, eos_bias in [(4, 1.0), (5, 2.5)] + [(s, -1.0) for s in range(6, 18)]:
        model = RandomTranslator(7, 5, seed, eos_bias)
        lengths = torch.tensor([4, 2, 3])
        src = _padded_source(3, 4, 7, lengths.tolist(), g)
        for width, max_len in ((1, 6), (2, 5), (3, 4), (4, 5)):
            got = _call("beam_search", beam_search, (model, src, lengths, width, max_len), names)
            want = [_beam_oracle(model, src[b : b + 1], lengths[b : b + 1], width, max_len) for b in range(3)]
            if _as_ids(got, "beam_search") != want:
                raise CheckFailed(f"beam_search (width {width}) gives {got}, expected {want}")
        # a beam wider than all hypotheses is an exhaustive search: every sequence of up to 2 symbols
        one_src, one_length = src[:1], lengths[:1]
        candidates = [[*s, EOS] for n in range(2) for s in itertools.product(range(UNK, 7), repeat=n)]
        candidates += [list(s) for s in itertools.product(range(UNK, 7), repeat=2)]
        best = max(candidates, key=lambda s: _teacher_forced(model, one_src, one_length, s)[0])
        best = best[:-1] if best and best[-1] == EOS else best
        got = _call("beam_search", beam_search, (model, one_src, one_length, 100, 2), names)
        if _as_ids(got, "beam_search")[0] != best:
            raise CheckFailed(f"beam_search with a huge beam gives {got[0]}, expected {best}")


# -- performance ------------------------------------------------------------------------------------------------

BRACKETS = {"vanilla": ((0.52, 2), (0.65, 1)), "attention": ((0.41, 3), (0.47, 2), (0.55, 1))}


@torch.no_grad()
def _translate_oracle(model: Any, sentences: Sequence[str], src_stoi: dict[str, int], tgt_stoi: dict[str, int],
                      max_len: int, batch_size: int = 250) -> list[str]:
    """Greedy translations of ``sentences`` by ``model``, with the oracles of encoding, padding, greedy decoding
    and decoding (the notebook's ``translate`` with none of the student's functions)."""
    model.eval()
    device = next(model.parameters()).device
    tgt_itos = {index: symbol for symbol, index in tgt_stoi.items()}
    translations = []
    for start in range(0, len(sentences), batch_size):
        src, lengths = _pad_oracle([_encode_oracle(s, src_stoi) for s in sentences[start : start + batch_size]])
        rows = _greedy_oracle(model, src.to(device), lengths.to(device), max_len)
        translations += [_decode_oracle(row, tgt_itos) for row in rows]
    return translations


def grade_performance(kind: str, model: Any, test_pairs: Sequence[tuple[str, str]], src_stoi: dict[str, int],
                      tgt_stoi: dict[str, int], max_len: int) -> int:
    """The points of the ``kind`` ("vanilla" or "attention") model: its test error with greedy decoding (done here,
    not with the student's ``greedy_decode``) on all of ``test_pairs``, in the brackets of :data:`BRACKETS`.

    A vanilla model with an attention layer (an attention model handed in as ``translator_vanilla.pt``), or an
    attention model without one, scores nothing.
    """
    has_attention = getattr(model.decoder, "attention", None) is not None
    if kind == "vanilla" and has_attention:
        raise CheckFailed("the vanilla model has an attention layer: translator_vanilla.pt must hold the model trained "
                          "with attention=False (and the Decoder must have no attention then)")
    if kind == "attention" and not has_attention:
        raise CheckFailed("the attention model has no attention layer")
    predictions = _translate_oracle(model, [s for s, _ in test_pairs], src_stoi, tgt_stoi, max_len)
    error = float(np.mean([Levenshtein.distance(p, t) / len(t) for p, (_, t) in zip(predictions, test_pairs)]))
    points = next((p for limit, p in BRACKETS[kind] if error <= limit), 0)
    print(f"graded: test error {error:.4f} with the course's greedy decoding -> {points} of "
          f"{BRACKETS[kind][0][1]} points")
    return points
