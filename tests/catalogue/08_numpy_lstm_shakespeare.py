"""Answers students really give in notebook 08, and what the grading must do with them.

A wrong answer names the performance cell among the cells it loses only where the quick run is checked to go
wrong (several more break it too; naming them all would run the whole notebook for each).
"""

from instructor.catalogue import right, wrong

PERFORMANCE = ("test_lstm_performance",)

WRONG = [
    # -- sigmoid
    wrong("sigmoid", "naive formula: overflows for large negative x", "test_sigmoid",
          body="return 1.0 / (1.0 + np.exp(-x))"),
    wrong("sigmoid", "np.where over two branches still computes exp(1000)", "test_sigmoid",
          body="return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))"),
    wrong("sigmoid", "sign error: sigma(-x)", "test_sigmoid", replace={"np.tanh(0.5 * x)": "np.tanh(-0.5 * x)"}),
    # -- one step forward
    wrong("lstm_step_forward", "gates taken in the order i, f, o, g", ("test_lstm_step_forward", *PERFORMANCE),
          keeps=("test_lstm_step_backward", "test_lstm_forward"),
          replace={"g = np.tanh(z[:, 2 * H : 3 * H])": "g = np.tanh(z[:, 3 * H :])",
                   "o = sigmoid(z[:, 3 * H :])": "o = sigmoid(z[:, 2 * H : 3 * H])"}),
    wrong("lstm_step_forward", "[h_prev, x] concatenated in the wrong order", "test_lstm_step_forward",
          replace={"np.concatenate([x, h_prev], axis=1)": "np.concatenate([h_prev, x], axis=1)"}),
    wrong("lstm_step_forward", "h = o * c (tanh of the cell forgotten)", "test_lstm_step_forward",
          replace={"h = o * np.tanh(c)": "h = o * c"}),
    wrong("lstm_step_forward", "bias forgotten", "test_lstm_step_forward",
          replace={"@ W + b": "@ W"}),
    wrong("lstm_step_forward", "g through a sigmoid instead of tanh", "test_lstm_step_forward",
          replace={"g = np.tanh(z[:, 2 * H : 3 * H])": "g = sigmoid(z[:, 2 * H : 3 * H])"}),
    wrong("lstm_step_forward", "input and forget gates swapped in the cell update", "test_lstm_step_forward",
          replace={"c = f * c_prev + i * g": "c = i * c_prev + f * g"}),
    wrong("lstm_step_forward", "tanh(c) stored in the cache instead of c", "test_lstm_step_forward",
          replace={"cache = (x, h_prev, c_prev, i, f, g, o, c, W)": "cache = (x, h_prev, c_prev, i, f, g, o, np.tanh(c), W)"}),
    wrong("lstm_step_forward", "the new h stored in the cache in place of h_prev", "test_lstm_step_forward",
          keeps=("test_lstm_step_backward", "test_lstm_forward", "test_model_loss"),
          replace={"cache = (x, h_prev, c_prev, i, f, g, o, c, W)": "cache = (x, h, c_prev, i, f, g, o, c, W)"}),
    wrong("lstm_step_forward", "the new c stored in the cache in place of c_prev", "test_lstm_step_forward",
          keeps=("test_lstm_step_backward",),
          replace={"cache = (x, h_prev, c_prev, i, f, g, o, c, W)": "cache = (x, h_prev, c, i, f, g, o, c, W)"}),
    wrong("lstm_step_forward", "[x, h_prev] stored in the cache in place of x", "test_lstm_step_forward",
          keeps=("test_lstm_step_backward", "test_model_loss"),
          replace={"cache = (x, h_prev, c_prev, i, f, g, o, c, W)":
                   "cache = (np.concatenate([x, h_prev], axis=1), h_prev, c_prev, i, f, g, o, c, W)"}),
    wrong("lstm_step_forward", "the pre-activations stored in the cache instead of the gates", "test_lstm_step_forward",
          keeps=("test_lstm_step_backward",),
          replace={"cache = (x, h_prev, c_prev, i, f, g, o, c, W)":
                   "cache = (x, h_prev, c_prev, z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :], c, W)"}),
    wrong("lstm_step_forward", "c_prev scaled in place (c_prev *= f)", "test_lstm_step_forward",
          keeps=("test_lstm_forward", "test_model_loss"),
          replace={"c = f * c_prev + i * g": "c_prev *= f\nc = c_prev + i * g"}),
    wrong("lstm_step_forward", "W's rows split at H instead of D (crashes when D != H)", "test_lstm_step_forward",
          keeps=("test_lstm_forward", "test_model_loss", "test_generate"),
          replace={"z = np.concatenate([x, h_prev], axis=1) @ W + b": "z = x @ W[:H] + h_prev @ W[H:] + b"}),
    # -- one step backward
    wrong("lstm_step_backward", "the path through h_t into c forgotten", "test_lstm_step_backward",
          replace={"dc_total = dc + dh * o * (1.0 - tanh_c**2)": "dc_total = dc"}),
    wrong("lstm_step_backward", "tanh derivative written as 1 - tanh", "test_lstm_step_backward",
          replace={"dc_total = dc + dh * o * (1.0 - tanh_c**2)": "dc_total = dc + dh * o * (1.0 - tanh_c)"}),
    wrong("lstm_step_backward", "forget-gate gradient uses c instead of c_prev", "test_lstm_step_backward",
          replace={"dc_total * c_prev * f * (1.0 - f)": "dc_total * c * f * (1.0 - f)"}),
    wrong("lstm_step_backward", "dW from x only (h_prev rows left zero)", "test_lstm_step_backward",
          replace={"dW = np.concatenate([x, h_prev], axis=1).T @ dz":
                   "dW = np.concatenate([x, np.zeros_like(h_prev)], axis=1).T @ dz"}),
    wrong("lstm_step_backward", "db averaged over the batch", "test_lstm_step_backward",
          replace={"db = dz.sum(axis=0)": "db = dz.mean(axis=0)"}),
    wrong("lstm_step_backward", "dc_prev without the forget gate", "test_lstm_step_backward",
          replace={"dc_prev = dc_total * f": "dc_prev = dc_total"}),
    wrong("lstm_step_backward", "dx and dh_prev split at H instead of D", "test_lstm_step_backward",
          replace={"dx, dh_prev = dxh[:, :D], dxh[:, D:]": "dx, dh_prev = dxh[:, :-D], dxh[:, -D:]"}),
    wrong("lstm_step_backward", "dc_prev left out of the returned tuple", "test_lstm_step_backward",
          keeps=("test_lstm_backward", "test_model_loss"),
          replace={"return dx, dh_prev, dc_prev, dW, db": "return dx, dh_prev, dW, db"}),
    wrong("lstm_step_backward", "the incoming dc updated in place", "test_lstm_step_backward",
          replace={"dc_total = dc + dh * o * (1.0 - tanh_c**2)": "dc += dh * o * (1.0 - tanh_c**2)\ndc_total = dc"}),
    # -- the sequence
    wrong("lstm_forward", "the state not carried: every step from h0, c0", "test_lstm_forward",
          keeps=("test_lstm_backward", "test_model_loss"),
          replace={"h, c, cache = lstm_step_forward(x, h, c, W, b)": "h, c, cache = lstm_step_forward(x, h0, c0, W, b)"}),
    wrong("lstm_forward", "Hs shifted by one: h0 .. h_{T-1}", "test_lstm_forward",
          body="h, c = h0, c0\nHs, caches = [], []\nfor x in X:\n    Hs.append(h)\n"
               "    h, c, cache = lstm_step_forward(x, h, c, W, b)\n    caches.append(cache)\n"
               "return np.stack(Hs), (h, c), caches"),
    wrong("lstm_backward", "dHs[t] not added: only the last step's gradient", ("test_lstm_backward", *PERFORMANCE),
          replace={"lstm_step_backward(dh + dHs[t], dc, caches[t])": "lstm_step_backward(dh, dc, caches[t])"},
          keeps=("test_model_loss",)),
    wrong("lstm_forward", "one step too few: range(T - 1)", "test_lstm_forward",
          keeps=("test_model_loss",),
          body="h, c = h0, c0\nHs, caches = [], []\nfor t in range(len(X) - 1):\n"
               "    h, c, cache = lstm_step_forward(X[t], h, c, W, b)\n    Hs.append(h)\n    caches.append(cache)\n"
               "return np.stack(Hs), (h, c), caches"),
    wrong("lstm_forward", "the state written into h0 and c0 in place", "test_lstm_forward",
          keeps=("test_model_loss",),
          body="Hs, caches = [], []\nfor x in X:\n    h, c, cache = lstm_step_forward(x, h0, c0, W, b)\n"
               "    h0[...], c0[...] = h, c\n    Hs.append(h)\n    caches.append(cache)\n"
               "return np.stack(Hs), (h0, c0), caches"),
    wrong("lstm_backward", "walks forward in time", "test_lstm_backward",
          replace={"for t in reversed(range(len(caches))):": "for t in range(len(caches)):"}),
    wrong("lstm_backward", "dW from the last step only (not summed over time)", "test_lstm_backward",
          replace={"dW, db = dW + dW_t, db + db_t": "dW, db = dW_t, db_t"}),
    wrong("lstm_backward", "cell gradient not carried back (dc reset each step)", "test_lstm_backward",
          replace={"dX[t], dh, dc, dW_t, db_t = lstm_step_backward(dh + dHs[t], dc, caches[t])":
                   "dX[t], dh, _, dW_t, db_t = lstm_step_backward(dh + dHs[t], np.zeros_like(dc), caches[t])"}),
    # -- the model
    wrong("softmax_cross_entropy", "no max subtracted: overflows for large scores", "test_softmax_cross_entropy",
          replace={"shifted = logits - logits.max(axis=1, keepdims=True)": "shifted = logits"}),
    wrong("softmax_cross_entropy", "gradient not divided by N", "test_softmax_cross_entropy",
          replace={"dlogits /= N\n": ""}),
    wrong("softmax_cross_entropy", "summed instead of averaged", "test_softmax_cross_entropy",
          replace={"loss = -log_probs[np.arange(N), targets].mean()": "loss = -log_probs[np.arange(N), targets].sum()"}),
    wrong("model_loss", "embedding gradient with fancy-index += (repeats counted once)", "test_model_loss",
          replace={"np.add.at(dE, inputs, dX)": "dE[inputs] += dX"}),
    wrong("model_loss", "output-layer bias gradient forgotten", "test_model_loss",
          replace={'"by": dlogits.sum(axis=0)': '"by": np.zeros_like(by)'}),
    wrong("model_loss", "Hs reshaped batch-first against time-major targets", ("test_model_loss", *PERFORMANCE),
          replace={"flat = Hs.reshape(T * B, H)": "flat = Hs.transpose(1, 0, 2).reshape(T * B, H)"}),
    wrong("model_loss", "returns the initial state instead of the final one", "test_model_loss",
          replace={"return loss, grads, state": "return loss, grads, (h0, c0)"}),
    wrong("clip_by_global_norm", "each array clipped on its own", "test_clip_by_global_norm",
          body="norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))\n"
               "clipped = {name: g * min(1.0, max_norm / max(np.linalg.norm(g), 1e-12)) for name, g in grads.items()}\n"
               "return clipped, norm"),
    wrong("clip_by_global_norm", "always rescaled to max_norm (also when below)", "test_clip_by_global_norm",
          replace={"scale = max_norm / norm if norm > max_norm else 1.0": "scale = max_norm / norm"}),
    wrong("clip_by_global_norm", "divides by a zero norm (a warning on stderr) when all gradients are zero",
          "test_clip_by_global_norm",
          body="norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))\n"
               "return {name: g * min(1.0, max_norm / norm) for name, g in grads.items()}, float(norm)"),
    wrong("clip_by_global_norm", "grads scaled in place", "test_clip_by_global_norm",
          replace={"clipped = {name: g * scale for name, g in grads.items()}":
                   "for g in grads.values():\n    g *= scale\nclipped = grads"}),
    # -- sampling
    wrong("next_char_probs", "temperature multiplies the scores", "test_next_char_probs",
          replace={"/ temperature": "* temperature"}),
    wrong("next_char_probs", "softmax first, then p ** (1 / temperature): 0 / 0 at small temperatures",
          "test_next_char_probs", keeps=("test_generate",),
          body="z = np.asarray(logits, dtype=np.float64)\np = np.exp(z - z.max())\np = p / p.sum()\n"
               "p = p ** (1.0 / temperature)\nreturn p / p.sum()"),
    wrong("next_char_probs", "no max subtracted: overflows", "test_next_char_probs",
          replace={"weights = np.exp(scaled - scaled.max())": "weights = np.exp(scaled)"}),
    wrong("generate", "the prompt's last character fed twice (warm-up then again)", "test_generate",
          replace={"written = []\n": "written = []\nh, c, _ = lstm_step_forward(E[[prompt_ids[-1]]], h, c, W, b)\n"}),
    wrong("generate", "greedy argmax instead of sampling", "test_generate",
          replace={"index = int(rng.choice(len(probs), p=probs))": "index = int(np.argmax(probs))"}),
    wrong("generate", "warm-up only on the last prompt character", "test_generate",
          replace={"for index in prompt_ids:": "for index in prompt_ids[-1:]:"}),
    wrong("generate", "the state not advanced after a sampled character", "test_generate",
          replace={"    written.append(index)\n    h, c, _ = lstm_step_forward(E[[index]], h, c, W, b)":
                   "    written.append(index)"}),
]

RIGHT = [
    right("sigmoid", "two branches on exp(-|x|)",
          body="e = np.exp(-np.abs(x))\nreturn np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"),
    right("sigmoid", "naive formula on a clipped copy, dtype kept",
          body="return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))"),
    right("sigmoid", "float64 result for float32 input (slower, not wrong)",
          body="x = np.clip(np.asarray(x, dtype=np.float64), -500, 500)\nreturn 1.0 / (1.0 + np.exp(-x))"),
    right("sigmoid", "masks as in the seed's layers.py style",
          body="positive = x >= 0\nz = np.zeros_like(x)\nz[positive] = np.exp(-x[positive])\n"
               "z[~positive] = np.exp(x[~positive])\ntop = np.ones_like(x)\ntop[~positive] = z[~positive]\n"
               "return top / (1 + z)"),
    right("sigmoid", "exp of minus logaddexp", body="return np.exp(-np.logaddexp(0, -x))"),
    right("lstm_step_forward", "per-gate matrices instead of one fused product",
          body="H = h_prev.shape[1]\nD = x.shape[1]\nWx, Wh = W[:D], W[D:]\n"
               "def gate(k):\n    return x @ Wx[:, k * H : (k + 1) * H] + h_prev @ Wh[:, k * H : (k + 1) * H] + b[k * H : (k + 1) * H]\n"
               "i, f, g, o = sigmoid(gate(0)), sigmoid(gate(1)), np.tanh(gate(2)), sigmoid(gate(3))\n"
               "c = f * c_prev + i * g\nh = o * np.tanh(c)\nreturn h, c, (x, h_prev, c_prev, i, f, g, o, c, W)"),
    right("lstm_step_backward", "per-gate weight gradients stacked with hstack",
          body="x, h_prev, c_prev, i, f, g, o, c, W = cache\nD = x.shape[1]\n"
               "t = np.tanh(c)\ndo = dh * t\ndct = dc + dh * o * (1 - t * t)\n"
               "parts = [dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g * g), do * o * (1 - o)]\n"
               "dz = np.hstack(parts)\n"
               "dW = np.vstack([x.T @ dz, h_prev.T @ dz])\ndb = np.sum(dz, axis=0)\n"
               "dx = dz @ W[:D].T\ndh_prev = dz @ W[D:].T\nreturn dx, dh_prev, f * dct, dW, db"),
    right("lstm_step_forward", "cache as a list, input projection and recurrence as two products",
          body="H = h_prev.shape[1]\nD = x.shape[1]\nz = x @ W[:D] + h_prev @ W[D:] + b\n"
               "i, f, o = (sigmoid(z[:, k * H : (k + 1) * H]) for k in (0, 1, 3))\ng = np.tanh(z[:, 2 * H : 3 * H])\n"
               "c = c_prev * f + g * i\nreturn o * np.tanh(c), c, [x, h_prev, c_prev, i, f, g, o, c, W]"),
    right("lstm_forward", "preallocated arrays, loop over an index",
          body="T = X.shape[0]\nHs = np.empty((T,) + h0.shape, dtype=np.result_type(X, h0, W))\ncaches = []\n"
               "h, c = h0, c0\nfor t in range(T):\n    h, c, cache = lstm_step_forward(X[t], h, c, W, b)\n"
               "    Hs[t] = h\n    caches.append(cache)\nreturn Hs, (h, c), caches"),
    right("lstm_backward", "while loop, gradients accumulated into zeros",
          body="T = len(caches)\ndX = None\ndW = np.zeros_like(caches[0][-1])\ndb = np.zeros(dW.shape[1])\n"
               "dh = np.zeros_like(dHs[0])\ndc = np.zeros_like(dHs[0])\nt = T - 1\n"
               "while t >= 0:\n    dx, dh, dc, dw, dbt = lstm_step_backward(dHs[t] + dh, dc, caches[t])\n"
               "    if dX is None:\n        dX = np.zeros((T,) + dx.shape)\n    dX[t] = dx\n"
               "    dW += dw\n    db += dbt\n    t -= 1\nreturn dX, dh, dc, dW, db"),
    right("softmax_cross_entropy", "log-sum-exp with a one-hot matrix",
          body="N, V = logits.shape\nm = np.max(logits, axis=1, keepdims=True)\n"
               "lse = m + np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))\n"
               "onehot = np.eye(V)[targets]\nloss = float(np.sum(onehot * (lse - logits)) / N)\n"
               "dlogits = (np.exp(logits - lse) - onehot) / N\nreturn loss, dlogits"),
    right("model_loss", "embedding gradient through a one-hot product",
          replace={"dE = np.zeros_like(E)\nnp.add.at(dE, inputs, dX)":
                   "onehot = np.eye(E.shape[0], dtype=E.dtype)[inputs.reshape(-1)]\n"
                   "dE = onehot.T @ dX.reshape(T * B, -1)"}),
    right("clip_by_global_norm", "torch's rule max_norm / (norm + 1e-6)",
          body="norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))\n"
               "factor = min(1.0, max_norm / (norm + 1e-6))\n"
               "return {name: g * factor for name, g in grads.items()}, norm"),
    right("next_char_probs", "log-softmax then exp",
          body="z = np.asarray(logits, dtype=np.float64) / temperature\nz = z - z.max()\n"
               "return np.exp(z - np.log(np.exp(z).sum()))"),
    right("generate", "warm-up and sampling in one loop over a growing list",
          body="E, W, b, Wy, by = params['E'], params['W'], params['b'], params['Wy'], params['by']\n"
               "h = np.zeros((1, Wy.shape[0]))\nc = np.zeros((1, Wy.shape[0]))\n"
               "sequence = list(prompt_ids)\nfor position in range(len(sequence) + n - 1):\n"
               "    h, c, _ = lstm_step_forward(E[sequence[position]][None, :], h, c, W, b)\n"
               "    if position >= len(sequence) - 1:\n"
               "        p = next_char_probs((h @ Wy + by).ravel(), temperature)\n"
               "        sequence.append(int(rng.choice(len(p), p=p)))\n"
               "return sequence[len(prompt_ids):]"),
]
