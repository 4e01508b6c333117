"""Answers students really give in notebook 07, and what the grading must do with them."""

from instructor.catalogue import right, wrong

PERFORMANCE = ("test_vanilla_performance", "test_attention_performance")

WRONG = [
    # -- vocabularies and batches
    wrong("build_vocab", "characters in order of first appearance", "test_build_vocab",
          replace={"sorted(set(\"\".join(sentences)))": "list(dict.fromkeys(\"\".join(sentences)))"}),
    wrong("build_vocab", "special symbols forgotten", "test_build_vocab",
          replace={"enumerate(SPECIALS + characters)": "enumerate(characters)"}),
    wrong("encode", "no end symbol", "test_encode", replace={" + [EOS]": ""}),
    wrong("encode", "unknown characters added to the vocabulary (setdefault)", "test_encode",
          replace={"stoi.get(character, UNK)": "stoi.setdefault(character, UNK)"}),
    wrong("encode", "character codes (ord) instead of vocabulary indices", "test_encode", keeps=("test_decode",),
          replace={"stoi.get(character, UNK)": "ord(character)"}),
    wrong("decode", "decode does not stop at </s>", "test_decode",
          replace={"if index == EOS:\n        break": "if index == EOS:\n        continue"}),
    wrong("decode", "<unk> written as the symbol's name", "test_decode",
          replace={"\"?\" if index == UNK else itos[index]": "itos[index]"}),
    wrong("decode", "stops at <pad> instead of skipping it", "test_decode",
          replace={"if index == EOS:": "if index in (EOS, PAD):"}),
    wrong("pad_batch", "padding on the left", "test_pad_batch",
          replace={"tokens[row, : len(sequence)]": "tokens[row, tokens.shape[1] - len(sequence):]"}),
    wrong("pad_batch", "every length set to the padded length", "test_pad_batch",
          replace={"return tokens, lengths": "return tokens, torch.full_like(lengths, tokens.shape[1])"}),
    wrong("pad_batch", "the input lists padded in place", "test_pad_batch",
          body="lengths = torch.tensor([len(sequence) for sequence in sequences], dtype=torch.long)\n"
               "for sequence in sequences:\n"
               "    sequence.extend([PAD] * (int(lengths.max()) - len(sequence)))\n"
               "return torch.tensor([[int(v) for v in sequence] for sequence in sequences], dtype=torch.long), "
               "lengths"),
    # -- encoder
    wrong("encoder", "no packing: the backward direction reads the padding", "test_encoder",
          body="embedded = self.dropout(self.embedding(src))\n"
               "outputs, (h, c) = self.lstm(embedded)\n"
               "mask = (torch.arange(src.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)\n"
               "h = torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)\n"
               "c = torch.cat([c[0], c[1]], dim=-1).unsqueeze(0)\n"
               "return self.dropout(outputs * mask), (h, c)"),
    wrong("encoder", "no dropout on the outputs (only on the embeddings)", "test_encoder",
          replace={"return self.dropout(outputs), (h, c)": "return outputs, (h, c)"}),
    wrong("encoder", "no dropout on the embeddings (only on the outputs)", "test_encoder",
          replace={"embedded = self.dropout(self.embedding(src))": "embedded = self.embedding(src)"}),
    wrong("encoder", "outputs only as long as the longest sentence (no total_length)", "test_encoder",
          replace={", total_length=src.shape[1])": ")"}),
    wrong("encoder", "final states concatenated backward first", "test_encoder",
          replace={"torch.cat([h[0], h[1]], dim=-1)": "torch.cat([h[1], h[0]], dim=-1)",
                   "torch.cat([c[0], c[1]], dim=-1)": "torch.cat([c[1], c[0]], dim=-1)"}),
    wrong("encoder", "initial state taken from the output at the last padded position", "test_encoder",
          replace={"h = torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)": "h = outputs[:, -1].unsqueeze(0).contiguous()"}),
    # -- attention
    wrong("attention", "softmax over the batch axis", "test_attention", keeps=("test_decoder",),
          replace={"torch.softmax(scores, dim=1)": "torch.softmax(scores, dim=0)"}),
    wrong("attention", "softmax over the trailing (hidden-sized) axis of the scores", "test_attention", keeps=("test_decoder",),
          body="z = self.linear_in(query)\n"
               "scores = torch.bmm(encoder_outputs, z.unsqueeze(2))\n"
               "p = torch.softmax(scores, dim=2).squeeze(2) * src_mask\n"
               "context = torch.bmm(p.unsqueeze(1), encoder_outputs).squeeze(1)\n"
               "return torch.tanh(self.linear_out(torch.cat([query, context], dim=1))), p"),
    wrong("attention", "padding not masked", "test_attention", keeps=("test_decoder",),
          replace={"scores = scores.masked_fill(~src_mask, float(\"-inf\"))\n": ""}),
    wrong("attention", "no tanh on the output", "test_attention", keeps=("test_decoder",),
          replace={"a_o = torch.tanh(self.linear_out(torch.cat([query, context], dim=1)))":
                   "a_o = self.linear_out(torch.cat([query, context], dim=1))"}),
    wrong("attention", "concatenation [c; q] instead of [q; c]", "test_attention", keeps=("test_decoder",),
          replace={"torch.cat([query, context], dim=1)": "torch.cat([context, query], dim=1)"}),
    # -- decoder
    wrong("decoder", "attention applied to the embedding instead of the LSTM output", "test_decoder",
          replace={"a_o, p = self.attention(outputs.reshape(batch * steps, hidden),":
                   "a_o, p = self.attention(embedded.reshape(batch * steps, hidden),"}),
    wrong("decoder", "query taken from the previous step", "test_decoder",
          replace={"outputs, state = self.lstm(embedded, state)":
                   "state_in = state; outputs, state = self.lstm(embedded, state)",
                   "a_o, p = self.attention(outputs.reshape(batch * steps, hidden),":
                   "a_o, p = self.attention(torch.cat([state_in[0].transpose(0, 1), outputs[:, :-1]], dim=1)"
                   ".reshape(batch * steps, hidden),"}),
    wrong("decoder", "no dropout on the outputs (only on the embeddings)", "test_decoder",
          replace={"logits = self.generator(self.dropout(outputs))": "logits = self.generator(outputs)"}),
    wrong("decoder", "the encoder's state is not passed to the decoder LSTM", "test_decoder",
          replace={"outputs, state = self.lstm(embedded, state)": "outputs, state = self.lstm(embedded)"}),
    # -- objective
    wrong("shift_targets", "target shifted by two", "test_shift_targets",
          body="return tgt[:, :-2], tgt[:, 2:]"),
    wrong("shift_targets", "no shift: the decoder is trained to copy its input", ("test_shift_targets", *PERFORMANCE),
          body="return tgt[:, :-1], tgt[:, :-1]"),
    wrong("sequence_loss", "padded targets counted", "test_sequence_loss",
          replace={", ignore_index=PAD)": ")"}),
    wrong("sequence_loss", "sum instead of mean", "test_sequence_loss",
          replace={"ignore_index=PAD)": "ignore_index=PAD, reduction=\"sum\")"}),
    wrong("sequence_loss", "padding replaced by -100 in the targets, in place", "test_sequence_loss",
          body="targets[targets == PAD] = -100\n"
               "return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)"),
    wrong("sequence_loss", "the loss returned as a number (.item()): nothing to back-propagate",
          ("test_sequence_loss", *PERFORMANCE),
          replace={"ignore_index=PAD)": "ignore_index=PAD).item()"}),
    # -- evaluation and decoding
    wrong("edit_distance", "substitution costs two", "test_edit_distance", keeps=("test_error_rate",),
          replace={"(char_a != char_b)": "2 * (char_a != char_b)"}),
    wrong("edit_distance", "position-by-position mismatches plus the length difference", "test_edit_distance",
          keeps=("test_error_rate",), body="return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))"),
    wrong("edit_distance", "adjacent transpositions count as one edit (Damerau)", "test_edit_distance",
          body="D = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]\n"
               "for i in range(1, len(a) + 1):\n"
               "    for j in range(1, len(b) + 1):\n"
               "        D[i][j] = min(D[i - 1][j] + 1, D[i][j - 1] + 1, D[i - 1][j - 1] + (a[i - 1] != b[j - 1]))\n"
               "        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:\n"
               "            D[i][j] = min(D[i][j], D[i - 2][j - 2] + 1)\n"
               "return D[-1][-1]"),
    wrong("error_rate", "divided by the prediction's length", "test_error_rate",
          replace={"/ max(len(r), 1)": "/ max(len(p), 1)"}),
    wrong("error_rate", "total distance over total reference length", "test_error_rate",
          body="return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / "
               "sum(len(r) for r in references)"),
    wrong("greedy_decode", "</s> kept in the output", "test_greedy_decode", keeps=("test_beam_search",),
          replace={"finished[row] = True": "finished[row] = True; predictions[row].append(symbol)"}),
    wrong("greedy_decode", "<s> fed at every step", "test_greedy_decode",
          replace={"model.decoder(tokens, state, encoder_outputs, src_mask)":
                   "model.decoder(torch.full_like(tokens, SOS), state, encoder_outputs, src_mask)"}),
    wrong("greedy_decode", "stops after three symbols", "test_greedy_decode", keeps=PERFORMANCE,
          replace={"for _ in range(max_len):": "for _ in range(min(max_len, 3)):"}),
    wrong("beam_search", "hypotheses ranked by the last symbol's probability only", "test_beam_search",
          replace={"[:, None] + log_probs": "[:, None] * 0 + log_probs"}),
    wrong("beam_search", "decoder states not reordered with their hypotheses", "test_beam_search",
          replace={"state = tuple(s[:, parents] for s in new_state)":
                   "state = tuple(s[:, :len(parents)] if s.shape[1] >= len(parents) else "
                   "s[:, [0] * len(parents)] for s in new_state)"}),
    # held out at first (a second author's answers), caught since
    wrong("build_vocab", "characters lower-cased (an upper-case letter is lost)", "test_build_vocab",
          replace={'sorted(set("".join(sentences)))': 'sorted(set("".join(sentences).lower()))'}),
    wrong("encode", "characters lower-cased before the look-up (an unknown X becomes x)", "test_encode",
          replace={"stoi.get(character, UNK)": "stoi.get(character.lower(), UNK)"}),
    wrong("encoder", "F.dropout with its default training=True: dropout also in evaluation mode", "test_encoder",
          replace={"embedded = self.dropout(self.embedding(src))": "embedded = F.dropout(self.embedding(src), "
                   "self.dropout.p)", "return self.dropout(outputs), (h, c)":
                   "return F.dropout(outputs, self.dropout.p), (h, c)"}),
    wrong("encoder", "dropout on the final states h and c as well", "test_encoder",
          replace={"return self.dropout(outputs), (h, c)":
                   "return self.dropout(outputs), (self.dropout(h), self.dropout(c))"}),
    wrong("decoder", "no dropout on the decoder's embeddings", "test_decoder",
          replace={"embedded = self.dropout(self.embedding(tgt_in))": "embedded = self.embedding(tgt_in)"}),
    wrong("decoder", "dropout on the LSTM output (the query) instead of on the attention output", "test_decoder",
          replace={"outputs, state = self.lstm(embedded, state)\n":
                   "outputs, state = self.lstm(embedded, state)\noutputs = self.dropout(outputs)\n",
                   "logits = self.generator(self.dropout(outputs))": "logits = self.generator(outputs)"}),
    wrong("greedy_decode", "stops when the first sentence finishes", "test_greedy_decode",
          replace={"if all(finished):": "if any(finished):"}),
    wrong("greedy_decode", "no finished flag per sentence: a sentence goes on after its </s>", "test_greedy_decode",
          body="encoder_outputs, state, src_mask = model.encode(src, lengths)\n"
               "tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)\n"
               "predictions = [[] for _ in range(src.shape[0])]\n"
               "for _ in range(max_len):\n"
               "    logits, state, _ = model.decoder(tokens, state, encoder_outputs, src_mask)\n"
               "    tokens = logits[:, -1].argmax(dim=-1, keepdim=True)\n"
               "    if bool((tokens == EOS).all()):\n        break\n"
               "    for row, symbol in enumerate(tokens[:, 0].tolist()):\n"
               "        if symbol != EOS:\n            predictions[row].append(symbol)\n"
               "return predictions"),
]

RIGHT = [
    right("build_vocab", "a loop over the sorted characters",
          body="stoi = {symbol: i for i, symbol in enumerate(SPECIALS)}\n"
               "for ch in sorted({ch for s in sentences for ch in s}):\n    stoi[ch] = len(stoi)\nreturn stoi"),
    right("encoder", "sort by length, pack sorted, and undo the sort",
          body="order = torch.argsort(lengths, descending=True)\n"
               "undo = torch.argsort(order)\n"
               "embedded = self.dropout(self.embedding(src[order]))\n"
               "packed = pack_padded_sequence(embedded, lengths[order].cpu(), batch_first=True)\n"
               "out, (h, c) = self.lstm(packed)\n"
               "out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])\n"
               "h = torch.cat([h[-2], h[-1]], dim=1)[undo].unsqueeze(0)\n"
               "c = torch.cat([c[-2], c[-1]], dim=1)[undo].unsqueeze(0)\n"
               "return self.dropout(out[undo]), (h, c)"),
    right("attention", "einsum scores and a mask applied after exponentiating",
          body="z = query @ self.linear_in.weight.T\n"
               "scores = torch.einsum('bsh,bh->bs', encoder_outputs, z)\n"
               "scores = scores - scores.masked_fill(~src_mask, -1e30).max(dim=1, keepdim=True).values\n"
               "weights = torch.exp(scores.masked_fill(~src_mask, -1e30)) * src_mask\n"
               "p = weights / weights.sum(dim=1, keepdim=True)\n"
               "context = torch.einsum('bs,bsh->bh', p, encoder_outputs)\n"
               "return torch.tanh(self.linear_out(torch.cat([query, context], dim=-1))), p"),
    right("decoder", "the LSTM run step by step, carrying the state (the seed's loop)",
          body="embedded = self.dropout(self.embedding(tgt_in))\n"
               "outputs, weights = [], []\n"
               "for t in range(tgt_in.shape[1]):\n"
               "    out, state = self.lstm(embedded[:, t : t + 1], state)\n"
               "    out = out[:, 0]\n"
               "    if self.attention is not None:\n"
               "        out, p = self.attention(out, encoder_outputs, src_mask)\n"
               "        weights.append(p)\n"
               "    outputs.append(self.dropout(out))\n"
               "logits = self.generator(torch.stack(outputs, dim=1))\n"
               "return logits, state, (torch.stack(weights, dim=1) if weights else None)"),
    right("sequence_loss", "log-softmax, gather and a mask",
          body="log_probs = torch.log_softmax(logits, dim=-1)\n"
               "picked = log_probs.gather(2, targets.unsqueeze(2)).squeeze(2)\n"
               "mask = (targets != PAD).float()\n"
               "return -(picked * mask).sum() / mask.sum()"),
    right("edit_distance", "the full table",
          body="D = np.zeros((len(a) + 1, len(b) + 1), dtype=int)\n"
               "D[:, 0] = np.arange(len(a) + 1)\nD[0, :] = np.arange(len(b) + 1)\n"
               "for i in range(1, len(a) + 1):\n    for j in range(1, len(b) + 1):\n"
               "        D[i, j] = min(D[i - 1, j] + 1, D[i, j - 1] + 1, D[i - 1, j - 1] + int(a[i - 1] != b[j - 1]))\n"
               "return int(D[-1, -1])"),
    right("error_rate", "rapidfuzz's Levenshtein distance",
          body="from rapidfuzz.distance import Levenshtein\n"
               "return float(np.mean([Levenshtein.distance(p, r) / len(r) for p, r in zip(predictions, references)]))"),
    right("greedy_decode", "tensor bookkeeping with a finished mask",
          body="enc, state, mask = model.encode(src, lengths)\n"
               "tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)\n"
               "steps, done = [], torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)\n"
               "for _ in range(max_len):\n"
               "    logits, state, _ = model.decoder(tokens, state, enc, mask)\n"
               "    tokens = logits[:, -1].argmax(-1, keepdim=True)\n"
               "    steps.append(torch.where(done, torch.full_like(tokens[:, 0], PAD), tokens[:, 0]))\n"
               "    done = done | (tokens[:, 0] == EOS)\n"
               "    if bool(done.all()):\n        break\n"
               "out = []\nfor row in torch.stack(steps, 1).tolist():\n"
               "    out.append(row[: row.index(EOS)] if EOS in row else [s for s in row if s != PAD])\n"
               "return out"),
    right("beam_search", "one decoder call per hypothesis, sorted lists",
          body="results = []\n"
               "for b in range(src.shape[0]):\n"
               "    enc, state0, mask = model.encode(src[b : b + 1], lengths[b : b + 1])\n"
               "    beams, done = [([], 0.0, state0)], []\n"
               "    for _ in range(max_len):\n"
               "        cands = []\n"
               "        for seq, score, st in beams:\n"
               "            last = torch.tensor([[seq[-1] if seq else SOS]], device=src.device)\n"
               "            logits, st2, _ = model.decoder(last, st, enc, mask)\n"
               "            lp = torch.log_softmax(logits[0, -1].double(), dim=-1).tolist()\n"
               "            cands += [(seq + [v], score + lp[v], st2) for v in range(len(lp))]\n"
               "        cands.sort(key=lambda x: -x[1])\n"
               "        beams = []\n"
               "        for seq, score, st in cands[:beam_width]:\n"
               "            if seq[-1] == EOS:\n                done.append((seq[:-1], score))\n"
               "            else:\n                beams.append((seq, score, st))\n"
               "        if not beams:\n            break\n"
               "    results.append(max(done + [(s, sc) for s, sc, _ in beams], key=lambda x: x[1])[0])\n"
               "return results"),
]
