"""Answers students really give in notebook 03, and what the grading must do with them.

Each task is graded on its own: a later task runs with correct earlier pieces (``forward`` with a correct
``softmax``; ``backward`` with correct ``softmax``, ``forward``, ``cross_entropy`` and ``grad_f2``; each
batch-norm gradient with a correct ``bn_forward`` and earlier gradients), and its public check says "not judged"
when an earlier piece fails its own check, so a wrong answer loses its own cell and keeps the cells that use it.
"""

from instructor.catalogue import right, wrong

_BACKWARD = ("test_backward_second_layer", "test_backward_first_layer", "test_backward_x")
_USE_SOFTMAX = ("test_forward", *_BACKWARD)
_BN_GRADS = ("test_bn_grad_gamma", "test_bn_grad_beta", "test_bn_grad_xhat", "test_bn_grad_var", "test_bn_grad_mu",
             "test_bn_grad_x")

_BN_X_COMPACT = (
    "m = len(cache['x'])\n"
    "s = np.sqrt(cache['var'] + cache['eps'])\n"
    "xhat = cache['xhat']\n"
    "return cache['gamma'] / (m * s) * (m * dy - dy.sum() - xhat * np.sum(dy * xhat))"
)

WRONG = [
    # Part 1: shapes and the ReLU MLP
    wrong("mlp_shapes", "weights written as (outputs, inputs)", "test_mlp_shapes",
          replace={'"W_h": (n_in, n_hidden)': '"W_h": (n_hidden, n_in)', '"W_o": (n_hidden, n_out)': '"W_o": (n_out, n_hidden)'}),
    wrong("mlp_shapes", "one example per column", "test_mlp_shapes",
          replace={'"X": (m, n_in)': '"X": (n_in, m)', '"Y": (m, n_out)': '"Y": (n_out, m)'}),
    wrong("mlp_shapes", "hard-coded sizes 10, 50, 3", "test_mlp_shapes",
          body='return {"X": (m, 10), "W_h": (10, 50), "b_h": (50,), "W_o": (50, 3), "b_o": (3,), "Y": (m, 3)}'),
    wrong("mlp_shapes", "biases repeated for every example", "test_mlp_shapes",
          replace={'"b_h": (n_hidden,)': '"b_h": (m, n_hidden)', '"b_o": (n_out,)': '"b_o": (m, n_out)'}),
    wrong("mlp_forward", "no ReLU on the output layer", "test_mlp_forward",
          replace={"return np.maximum(hidden @ W_o + b_o, 0.0)": "return hidden @ W_o + b_o"}),
    wrong("mlp_forward", "no ReLU on the hidden layer", "test_mlp_forward",
          replace={"hidden = np.maximum(X @ W_h + b_h, 0.0)": "hidden = X @ W_h + b_h"}),
    wrong("mlp_forward", "output bias forgotten", "test_mlp_forward",
          replace={"hidden @ W_o + b_o": "hidden @ W_o"}),
    wrong("mlp_forward", "weights transposed", "test_mlp_forward",
          body="hidden = np.maximum(X @ W_h.T + b_h, 0.0)\nreturn np.maximum(hidden @ W_o.T + b_o, 0.0)"),
    wrong("mlp_forward", "sigmoid neurons instead of ReLU", "test_mlp_forward",
          body="hidden = 1 / (1 + np.exp(-(X @ W_h + b_h)))\nreturn 1 / (1 + np.exp(-(hidden @ W_o + b_o)))"),
    # Part 2: softmax, cross-entropy and the backward pass
    wrong("softmax", "normalised over the batch axis", "test_softmax",
          replace={"axis=1": "axis=0"}, keeps=_USE_SOFTMAX),
    wrong("softmax", "unstable: no shift by the row maximum", "test_softmax",
          body="e = np.exp(f)\nreturn e / np.sum(e, axis=1, keepdims=True)", keeps=_USE_SOFTMAX),
    wrong("softmax", "normalised over the whole array", "test_softmax",
          body="e = np.exp(f - np.max(f))\nreturn e / np.sum(e)", keeps=_USE_SOFTMAX),
    wrong("softmax", "logits shifted in place (f -= max)", "test_softmax",
          body="f -= np.max(f, axis=1, keepdims=True)\ne = np.exp(f)\nreturn e / np.sum(e, axis=1, keepdims=True)",
          keeps=_USE_SOFTMAX),
    wrong("softmax", "not written yet", "test_softmax", body='raise NotImplementedError("Task \'softmax\'")',
          keeps=_USE_SOFTMAX),
    wrong("forward", "first bias forgotten", "test_forward", replace={"f1 = x @ W1 + b1": "f1 = x @ W1"},
          keeps=_BACKWARD),
    wrong("forward", "ReLU instead of sigmoid in the hidden layer", "test_forward",
          replace={"a = sigmoid(f1)": "a = np.maximum(f1, 0)"}, keeps=_BACKWARD),
    wrong("forward", "sigmoid on the output instead of softmax", "test_forward",
          replace={"o = softmax(f2)": "o = sigmoid(f2)"}, keeps=_BACKWARD),
    wrong("cross_entropy", "mean over the batch instead of the sum", "test_cross_entropy",
          body="return -np.mean(np.sum(y * np.log(o), axis=1))", keeps=_BACKWARD),
    wrong("cross_entropy", "minus sign forgotten", "test_cross_entropy", body="return np.sum(y * np.log(o))",
          keeps=_BACKWARD),
    wrong("cross_entropy", "binary cross-entropy on every class", "test_cross_entropy",
          body="return -np.sum(y * np.log(o) + (1 - y) * np.log(1 - o))", keeps=_BACKWARD),
    # backward calls grad_f2 (Task 2.5 builds on delta_2 = dE/df2), so a wrong grad_f2 costs test_grad_f2 only
    wrong("grad_f2", "sign error y - o", "test_grad_f2", replace={"return o - y": "return y - o"},
          keeps=_BACKWARD),
    wrong("grad_f2", "gradient with respect to o instead of f2", "test_grad_f2", body="return -y / o",
          keeps=_BACKWARD),
    wrong("grad_f2", "diagonal of the softmax Jacobian only", "test_grad_f2", body="return (o - y) * o * (1 - o)",
          keeps=_BACKWARD),
    wrong("grad_f2", "y subtracted from o in place", "test_grad_f2", body="o -= y\nreturn o", keeps=_BACKWARD),
    wrong("backward", "sigmoid derivative forgotten", ("test_backward_first_layer", "test_backward_x"),
          replace={"d_f1 = d_a * a * (1 - a)": "d_f1 = d_a"}),
    wrong("backward", "sigmoid derivative taken at f1", ("test_backward_first_layer", "test_backward_x"),
          replace={"d_f1 = d_a * a * (1 - a)": "d_f1 = d_a * f1 * (1 - f1)"}),
    wrong("backward", "W2 not transposed", ("test_backward_first_layer", "test_backward_x"),
          replace={"d_a = d_f2 @ W2.T": "d_a = d_f2 @ W2"}),
    wrong("backward", "W1 not transposed", "test_backward_x", replace={"d_x = d_f1 @ W1.T": "d_x = d_f1 @ W1"}),
    wrong("backward", "output bias gradient forgotten", "test_backward_second_layer",
          replace={"d_b2 = d_f2.sum(axis=0)": "d_b2 = np.zeros_like(b2)"}),
    wrong("backward", "hidden bias gradient averaged over the batch", "test_backward_first_layer",
          replace={"d_b1 = d_f1.sum(axis=0)": "d_b1 = d_f1.mean(axis=0)"}),
    wrong("backward", "W2 gradient transposed", "test_backward_second_layer",
          replace={"d_W2 = a.T @ d_f2": "d_W2 = d_f2.T @ a"}),
    wrong("backward", "W1 gradient from the pre-activation", "test_backward_first_layer",
          replace={"d_W1 = x.T @ d_f1": "d_W1 = x.T @ d_a"}),
    wrong("backward", "its own softmax, unstable, instead of forward's", "test_backward_x",
          replace={"f1, a, f2, o = forward(x, W1, b1, W2, b2)":
                   "f1 = x @ W1 + b1\na = sigmoid(f1)\nf2 = a @ W2 + b2\no = np.exp(f2) / np.exp(f2).sum(axis=1, keepdims=True)"},
          keeps=("test_backward_second_layer", "test_backward_first_layer")),
    # Part 3: batch normalisation
    wrong("bn_forward", "unbiased variance (divides by m - 1)", "test_bn_forward",
          replace={"var = ((x - mu) ** 2).mean()": "var = ((x - mu) ** 2).sum() / (len(x) - 1)"}, keeps=_BN_GRADS),
    wrong("bn_forward", "eps forgotten", "test_bn_forward", replace={"np.sqrt(var + eps)": "np.sqrt(var)"},
          keeps=_BN_GRADS),
    wrong("bn_forward", "eps added outside the square root", "test_bn_forward",
          replace={"np.sqrt(var + eps)": "(np.sqrt(var) + eps)"}, keeps=_BN_GRADS),
    wrong("bn_forward", "the batch centred in place (x -= mu)", "test_bn_forward",
          replace={"var = ((x - mu) ** 2).mean()\n": "x -= mu\nvar = (x ** 2).mean()\n",
                   "xhat = (x - mu) / np.sqrt": "xhat = x / np.sqrt"}, keeps=_BN_GRADS),
    wrong("bn_forward", "the cache keeps the centred batch as 'x'", "test_bn_forward",
          replace={'return {"x": x,': 'return {"x": x - mu,'}, keeps=_BN_GRADS),
    wrong("bn_grad_gamma", "gamma and beta gradients swapped", "test_bn_grad_gamma", body="return np.sum(dy)"),
    wrong("bn_grad_gamma", "not summed over the batch", "test_bn_grad_gamma", body="return dy * cache['xhat']"),
    wrong("bn_grad_gamma", "x instead of xhat", "test_bn_grad_gamma", body="return np.sum(dy * cache['x'])"),
    wrong("bn_grad_beta", "mean instead of sum", "test_bn_grad_beta", body="return np.mean(dy)"),
    wrong("bn_grad_beta", "not summed over the batch", "test_bn_grad_beta", body="return dy"),
    # the later gradients may call the earlier ones (the notebook says so): they are graded with correct ones
    wrong("bn_grad_xhat", "gamma forgotten", "test_bn_grad_xhat", body="return dy",
          keeps=("test_bn_grad_var", "test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_xhat", "divided by gamma", "test_bn_grad_xhat", body="return dy / cache['gamma']",
          keeps=("test_bn_grad_var", "test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_xhat", "dy scaled in place", "test_bn_grad_xhat", body="dy *= cache['gamma']\nreturn dy",
          keeps=("test_bn_grad_var", "test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_var", "power -1/2 instead of -3/2", "test_bn_grad_var",
          replace={"** -1.5": "** -0.5"}, keeps=("test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_var", "factor -1/2 forgotten", "test_bn_grad_var",
          replace={"return -0.5 * np.sum": "return np.sum"}, keeps=("test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_var", "eps forgotten", "test_bn_grad_var",
          replace={'(cache["var"] + cache["eps"]) ** -1.5': 'cache["var"] ** -1.5'}, keeps=("test_bn_grad_mu", "test_bn_grad_x")),
    wrong("bn_grad_mu", "minus sign forgotten", "test_bn_grad_mu",
          replace={"through_xhat = -inv_std": "through_xhat = inv_std"}, keeps=("test_bn_grad_x",)),
    wrong("bn_grad_mu", "1/sqrt(var + eps) forgotten", "test_bn_grad_mu",
          replace={"through_xhat = -inv_std * np.sum": "through_xhat = -np.sum"}, keeps=("test_bn_grad_x",)),
    wrong("bn_grad_mu", "upstream dy used instead of df/dxhat", "test_bn_grad_mu",
          replace={"np.sum(bn_grad_xhat(dy, cache))": "np.sum(dy)"}, keeps=("test_bn_grad_x",)),
    wrong("bn_grad_x", "only the direct path through xhat", "test_bn_grad_x",
          replace={"return direct + via_var + via_mu": "return direct"}),
    wrong("bn_grad_x", "path through mu forgotten", "test_bn_grad_x",
          replace={"return direct + via_var + via_mu": "return direct + via_var"}),
    wrong("bn_grad_x", "m - 1 in the variance path", "test_bn_grad_x",
          replace={'* (cache["x"] - cache["mu"]) / m': '* (cache["x"] - cache["mu"]) / (m - 1)'}),
    wrong("bn_grad_x", "the cache's x centred in place", "test_bn_grad_x",
          body="centred = cache['x']\ncentred -= cache['mu']\nm = len(centred)\ns = np.sqrt(cache['var'] + cache['eps'])\n"
               "xhat = centred / s\nreturn cache['gamma'] / (m * s) * (m * dy - dy.sum() - xhat * np.sum(dy * xhat))"),
    # held out at first (a second author's answers), caught since
    wrong("softmax", "shift by the maximum of the whole array: a row near -1000 underflows to 0 / 0", "test_softmax",
          body="e = np.exp(f - f.max())\nreturn e / e.sum(axis=1, keepdims=True)"),
    wrong("softmax", "shift by each row's minimum: exp(2000) overflows", "test_softmax",
          replace={"np.max(f, axis=1, keepdims=True)": "np.min(f, axis=1, keepdims=True)"}),
    wrong("softmax", "shift by each row's mean", "test_softmax",
          replace={"np.max(f, axis=1, keepdims=True)": "np.mean(f, axis=1, keepdims=True)"}),
    wrong("mlp_shapes", "shapes as lists", "test_mlp_shapes",
          body='return {"X": [m, n_in], "W_h": [n_in, n_hidden], "b_h": [n_hidden], "W_o": [n_hidden, n_out], '
               '"b_o": [n_out], "Y": [m, n_out]}'),
    wrong("forward", "f2 computed from f1 (before the sigmoid) instead of a", "test_forward",
          keeps=("test_backward_second_layer", "test_backward_first_layer", "test_backward_x"),
          replace={"f2 = a @ W2 + b2": "f2 = f1 @ W2 + b2"}),
]

RIGHT = [
    right("mlp_shapes", "shapes built from zero arrays",
          body="X = np.zeros((m, n_in))\nW_h, b_h = np.zeros((n_in, n_hidden)), np.zeros(n_hidden)\n"
               "W_o, b_o = np.zeros((n_hidden, n_out)), np.zeros(n_out)\nY = (X @ W_h + b_h) @ W_o + b_o\n"
               "return {'X': X.shape, 'W_h': W_h.shape, 'b_h': b_h.shape, 'W_o': W_o.shape, 'b_o': b_o.shape, "
               "'Y': Y.shape}"),
    right("mlp_forward", "where and clip instead of maximum",
          body="z = np.dot(X, W_h) + b_h\nh = np.where(z > 0, z, 0.0)\nreturn np.clip(np.dot(h, W_o) + b_o, 0, None)"),
    right("mlp_forward", "explicit loop over the examples",
          body="rows = []\nfor row in X:\n    h = np.maximum(row @ W_h + b_h, 0)\n"
               "    rows.append(np.maximum(h @ W_o + b_o, 0))\nreturn np.array(rows)"),
    right("softmax", "log-sum-exp form",
          body="top = f.max(axis=1, keepdims=True)\n"
               "lse = top + np.log(np.exp(f - top).sum(axis=1, keepdims=True))\nreturn np.exp(f - lse)"),
    right("softmax", "loop over rows",
          body="out = np.empty_like(f, dtype=float)\nfor i, row in enumerate(f):\n"
               "    e = np.exp(row - row.max())\n    out[i] = e / e.sum()\nreturn out"),
    right("softmax", "shifted in place, on its own copy",
          body="f = np.array(f, dtype=float)\nf -= f.max(axis=1, keepdims=True)\nnp.exp(f, out=f)\n"
               "f /= f.sum(axis=1, keepdims=True)\nreturn f"),
    right("forward", "einsum and explicit sigmoid",
          body="f1 = np.einsum('bn,nm->bm', x, W1) + b1\na = 1 / (1 + np.exp(-f1))\n"
               "f2 = np.einsum('bm,mk->bk', a, W2) + b2\nreturn f1, a, f2, softmax(f2)"),
    right("cross_entropy", "log-probability of the true class",
          body="rows = np.arange(len(y))\nreturn -np.log(o[rows, np.argmax(y, axis=1)]).sum()"),
    right("backward", "loop over examples with outer products",
          body="grads = {'x': np.zeros_like(x), 'W1': np.zeros_like(W1), 'b1': np.zeros_like(b1),\n"
               "         'W2': np.zeros_like(W2), 'b2': np.zeros_like(b2)}\n"
               "for i in range(len(x)):\n"
               "    _, a, _, o = forward(x[i:i + 1], W1, b1, W2, b2)\n"
               "    d2 = (o - y[i:i + 1])[0]\n"
               "    grads['W2'] += np.outer(a[0], d2)\n"
               "    grads['b2'] += d2\n"
               "    d1 = (W2 @ d2) * a[0] * (1 - a[0])\n"
               "    grads['W1'] += np.outer(x[i], d1)\n"
               "    grads['b1'] += d1\n"
               "    grads['x'][i] = W1 @ d1\n"
               "return grads"),
    right("backward", "o - y written out instead of calling grad_f2",
          replace={"d_f2 = grad_f2(o, y)": "d_f2 = o - y"}),
    right("bn_forward", "np.var and np.mean",
          body="x = np.asarray(x, dtype=float)\nmu, var = np.mean(x), np.var(x)\nxhat = (x - mu) / (var + eps) ** 0.5\n"
               "return dict(x=x, mu=mu, var=var, xhat=xhat, gamma=gamma, beta=beta, eps=eps, y=gamma * xhat + beta)"),
    right("bn_grad_var", "written with xhat", body=(
        "return -0.5 * cache['gamma'] * np.sum(dy * cache['xhat']) / (cache['var'] + cache['eps'])")),
    right("bn_grad_mu", "the simplified form (the sigma^2 path vanishes)",
          body="return -cache['gamma'] * np.sum(dy) / np.sqrt(cache['var'] + cache['eps'])"),
    right("bn_grad_x", "the compact form", body=_BN_X_COMPACT),
    right("bn_grad_x", "loop over the examples",
          body="m = len(dy)\nout = np.zeros(m)\ns = np.sqrt(cache['var'] + cache['eps'])\n"
               "for i in range(m):\n    for j in range(m):\n"
               "        jac = ((i == j) - 1 / m - cache['xhat'][i] * cache['xhat'][j] / m) / s\n"
               "        out[i] += cache['gamma'] * dy[j] * jac\nreturn out"),
]
