"""Answers students really give in notebook 05 (layers in NumPy), and what the grading must do with them.

``keeps`` proves the isolation of the hidden tests: the MLP and LeNet-5 cells run the student's class with the
grader's reference layers, so a wrong layer (or loss, or initialisation) costs points in its own cell only; a
backward pass runs on the cache of the student's forward pass, so a wrong forward that leaves the cache right
costs nothing there either.
"""

from instructor.catalogue import right, wrong

MLP = ("test_mlp_forward", "test_mlp_backward", "test_mlp_step")
MODELS = (*MLP, "test_lenet")

_POOL_TIES = """
x, arg, size, stride = cache
dx = np.zeros(x.shape)
for i in range(dout.shape[2]):
    for j in range(dout.shape[3]):
        rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        win = x[:, :, rows, cols]
        mask = (win == win.max(axis=(2, 3), keepdims=True)).astype(float)
        dx[:, :, rows, cols] += mask{share} * dout[:, :, i, j][:, :, None, None]
return dx
"""

_POOL_EVERYWHERE = """
x, arg, size, stride = cache
dx = np.zeros(x.shape)
h_out, w_out = dout.shape[2], dout.shape[3]
for p in range(size):
    for q in range(size):
        dx[:, :, p:p + stride * h_out:stride, q:q + stride * w_out:stride] += dout{scale}
return dx
"""

_SOFTMAX_UNSTABLE = """
n = logits.shape[0]
e = np.exp(logits)
p = e / e.sum(axis=1, keepdims=True)
loss = -np.log(p[np.arange(n), y]).mean()
d = p.copy()
d[np.arange(n), y] -= 1
return float(loss), d / n
"""

WRONG = [
    # -- activations -----------------------------------------------------------------------------
    wrong("relu_forward", "absolute value instead of max", "test_relu_forward", body="return np.abs(x), x",
          keeps=("test_mlp_forward", "test_lenet")),
    wrong("relu_forward", "returns only the output, no cache", "test_relu_forward", body="return np.maximum(x, 0)"),
    wrong("relu_backward", "gradient 1 at exactly x == 0 (x >= 0)", "test_relu_backward",
          replace={"(x > 0)": "(x >= 0)"}, keeps=("test_mlp_backward",)),
    wrong("relu_forward", "writes into its input (np.maximum(x, 0, out=x))", "test_relu_forward",
          body="np.maximum(x, 0, out=x)\nreturn x, x", keeps=("test_relu_backward", "test_mlp_forward")),
    wrong("relu_backward", "passes dout through unchanged", "test_relu_backward", body="return dout",
          keeps=("test_mlp_backward", "test_mlp_step", "test_lenet")),
    wrong("relu_backward", "multiplies dout by the output", "test_relu_backward",
          replace={"dout * (x > 0)": "dout * np.maximum(x, 0)"}),
    wrong("sigmoid_forward", "exp(x) / (1 + exp(x)) overflows to nan", "test_sigmoid_forward",
          body="out = np.exp(x) / (1 + np.exp(x))\nreturn out, out"),
    wrong("sigmoid_forward", "sign error in the exponent", "test_sigmoid_forward",
          body="out = 1 / (1 + np.exp(x))\nreturn out, out", keeps=("test_mlp_forward",)),
    wrong("sigmoid_backward", "forgot the factor (1 - s)", "test_sigmoid_backward",
          replace={"dout * s * (1 - s)": "dout * s"}, keeps=("test_mlp_backward",)),
    wrong("sigmoid_backward", "takes the cached output for the input and applies the sigmoid again",
          "test_sigmoid_backward", body="s = 1 / (1 + np.exp(-cache))\nreturn dout * s * (1 - s)"),
    wrong("tanh_forward", "tanh from exponentials overflows", "test_tanh_forward",
          body="out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))\nreturn out, out"),
    wrong("tanh_backward", "1 - out instead of 1 - out^2", "test_tanh_backward",
          replace={"dout * (1 - out ** 2)": "dout * (1 - out)"}, keeps=("test_mlp_backward",)),
    # -- fully connected -------------------------------------------------------------------------
    wrong("fc_forward", "transposed weights", "test_fc_forward", keeps=MODELS,
          body="out = x.reshape(x.shape[0], -1) @ w.T + b\nreturn out, (x, w)"),
    wrong("fc_forward", "no flattening of image inputs", "test_fc_forward",
          body="return x @ w + b, (x, w)"),
    wrong("fc_forward", "bias forgotten", "test_fc_forward", keeps=("test_mlp_forward",),
          replace={"x.reshape(x.shape[0], -1) @ w + b": "x.reshape(x.shape[0], -1) @ w"}),
    wrong("fc_backward", "missing bias gradient", "test_fc_backward", keeps=("test_mlp_backward", "test_lenet"),
          replace={"dout.sum(axis=0)": "np.zeros(dout.shape[1])"}),
    wrong("fc_backward", "transposed weights in dx", "test_fc_backward", keeps=("test_mlp_backward", "test_mlp_step"),
          replace={"dout @ w.T": "dout @ w"}),
    wrong("fc_backward", "bias gradient averaged instead of summed", "test_fc_backward",
          replace={"dout.sum(axis=0)": "dout.mean(axis=0)"}),
    wrong("fc_backward", "dx not reshaped to the input shape", "test_fc_backward",
          replace={"(dout @ w.T).reshape(x.shape)": "dout @ w.T"}),
    # -- convolution -----------------------------------------------------------------------------
    wrong("conv_forward", "padding off by one", "test_conv_forward",
          replace={"(pad, pad), (pad, pad)": "(pad, pad + 1), (pad, pad + 1)"}),
    wrong("conv_forward", "kernel flipped (true convolution)", "test_conv_forward",
          keeps=("test_lenet",),
          replace={"np.tensordot(windows, w,": "np.tensordot(windows, w[:, :, ::-1, ::-1],"}),
    wrong("conv_forward", "stride ignored", "test_conv_forward",
          replace={"[:, :, ::stride, ::stride]": ""}),
    wrong("conv_forward", "bias forgotten", "test_conv_forward",
          replace={" + b[None, :, None, None]": ""}),
    wrong("conv_backward", "missing bias gradient", "test_conv_backward", keeps=("test_lenet",),
          replace={"db = dout.sum(axis=(0, 2, 3))": "db = np.zeros(w.shape[0])"}),
    wrong("conv_backward", "padding not cut off dx", "test_conv_backward",
          replace={"dx = dxp[:, :, pad:pad + x_shape[2], pad:pad + x_shape[3]]": "dx = dxp"}),
    wrong("conv_backward", "overlapping windows overwrite instead of adding", "test_conv_backward", keeps=("test_lenet",),
          replace={"] += \\": "] = \\"}),
    wrong("conv_backward", "weight gradient transposed to (C, F, kh, kw)", "test_conv_backward",
          replace={"np.tensordot(dout, windows, axes=([0, 2, 3], [0, 2, 3]))":
                   "np.tensordot(windows, dout, axes=([0, 2, 3], [0, 2, 3])).transpose(0, 3, 1, 2)"}),
    # -- max pooling -----------------------------------------------------------------------------
    wrong("maxpool_forward", "average pooling", "test_maxpool_forward",
          body="windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]\n"
               "flat = windows.reshape(*windows.shape[:4], size * size)\n"
               "return flat.mean(axis=-1), (x, flat.argmax(axis=-1), size, stride)"),
    wrong("maxpool_forward", "stride ignored", "test_maxpool_forward", keeps=("test_lenet",),
          replace={"[:, :, ::stride, ::stride]": ""}),
    wrong("maxpool_backward", "gradient sent to every position of a pooling window", "test_maxpool_backward",
          keeps=("test_lenet",), body=_POOL_EVERYWHERE.format(scale="")),
    wrong("maxpool_backward", "gradient shared equally (average-pool backward)", "test_maxpool_backward",
          body=_POOL_EVERYWHERE.format(scale=" / size ** 2")),
    wrong("maxpool_backward", "overlapping windows overwrite instead of adding", "test_maxpool_backward",
          replace={"+= dwin[..., p, q]": "= dwin[..., p, q]"}),
    wrong("maxpool_backward", "gradient to every input that ties for the maximum (x == max mask)",
          "test_maxpool_backward", keeps=("test_lenet",), body=_POOL_TIES.format(share="")),
    wrong("maxpool_backward", "gradient shared equally among the inputs that tie for the maximum",
          "test_maxpool_backward", body=_POOL_TIES.format(share=" / mask.sum(axis=(2, 3), keepdims=True)")),
    # -- loss ------------------------------------------------------------------------------------
    wrong("softmax_cross_entropy", "shifts the logits in place (logits -= max)", "test_softmax_cross_entropy",
          keeps=("test_mlp_forward",),
          replace={"shifted = logits - logits.max(axis=1, keepdims=True)":
                   "logits -= logits.max(axis=1, keepdims=True)\nshifted = logits"}),
    wrong("softmax_cross_entropy", "softmax over the wrong axis", "test_softmax_cross_entropy", keeps=MODELS,
          replace={"axis=1": "axis=0"}),
    wrong("softmax_cross_entropy", "no max subtraction (overflow for large logits)", "test_softmax_cross_entropy",
          body=_SOFTMAX_UNSTABLE),
    wrong("softmax_cross_entropy", "gradient not divided by N", "test_softmax_cross_entropy",
          keeps=("test_mlp_backward", "test_mlp_step"), replace={"dlogits / n": "dlogits"}),
    wrong("softmax_cross_entropy", "summed loss instead of the mean", "test_softmax_cross_entropy",
          replace={"loss = -log_p[np.arange(n), y].mean()": "loss = -log_p[np.arange(n), y].sum()"}),
    # -- initialisation --------------------------------------------------------------------------
    wrong("random_normal_weight_init", "uniform on [0, 1) instead of normal", "test_random_normal_weight_init",
          body="return rng.random(shape)", keeps=("test_mlp_forward",)),
    wrong("random_normal_weight_init", "ignores rng and uses the global generator", "test_random_normal_weight_init",
          body="return np.random.randn(*shape)", keeps=("test_mlp_forward",)),
    wrong("zeros_bias_init", "ones instead of zeros", "test_zeros_bias_init", body="return np.ones(n)",
          keeps=("test_mlp_forward", "test_lenet")),
    wrong("zeros_bias_init", "row vector of shape (1, n)", "test_zeros_bias_init", body="return np.zeros((1, n))",
          keeps=MODELS),
    wrong("he_weight_init", "variance 1 / fan_in (LeCun) instead of 2 / fan_in", "test_he_weight_init",
          replace={"2.0 / fan_in": "1.0 / fan_in"}, keeps=("test_mlp_forward", "test_lenet")),
    wrong("he_weight_init", "variance used as the standard deviation", "test_he_weight_init",
          replace={"np.sqrt(2.0 / fan_in)": "(2.0 / fan_in)"}),
    # -- MLP -------------------------------------------------------------------------------------
    wrong("mlp", "activation after the output layer too", ("test_mlp_forward", "test_mlp_backward"),
          replace={"if i < self.n_layers:": "if True:"}),
    wrong("mlp", "get_error returns a fraction", "test_mlp_forward",
          replace={"int(np.sum(self.logits.argmax(axis=1) != y))": "float(np.mean(self.logits.argmax(axis=1) != y))"}),
    wrong("mlp", "init='normal' ignored: always He", "test_mlp_forward", keeps=("test_mlp_backward", "test_mlp_step"),
          replace={'if init == "he":': "if True:"}),
    wrong("mlp", "He fan-in taken as the number of outputs", "test_mlp_forward",
          replace={"he_weight_init(shape, sizes[i - 1], init_rng)": "he_weight_init(shape, sizes[i], init_rng)"}),
    wrong("mlp", "seed ignored (a fresh generator)", "test_mlp_forward",
          replace={"init_rng = np.random.default_rng(seed)": "init_rng = np.random.default_rng()"}),
    wrong("mlp", "biases start at one", "test_mlp_forward",
          replace={'self.params[f"b{i}"] = zeros_bias_init(sizes[i])': 'self.params[f"b{i}"] = np.ones(sizes[i])'}),
    wrong("mlp", "parameters stored as float32", "test_mlp_forward",
          replace={'self.params[f"b{i}"] = zeros_bias_init(sizes[i])':
                   'self.params[f"b{i}"] = zeros_bias_init(sizes[i])\n'
                   '        self.params[f"W{i}"] = self.params[f"W{i}"].astype(np.float32)'}),
    wrong("mlp", "forward centres its input in place", "test_mlp_forward",
          replace={"h = x.reshape(x.shape[0], -1)": "x -= x.mean()\n    h = x.reshape(x.shape[0], -1)"}),
    wrong("mlp", "zero_grads resets the weight gradients only", ("test_mlp_backward", "test_mlp_step"),
          keeps=("test_mlp_forward",),
          replace={"for g in self.grads.values():\n        g[...] = 0.0":
                   "for k, g in self.grads.items():\n        if k.startswith('W'):\n            g[...] = 0.0"}),
    wrong("mlp", "backward overwrites the gradients instead of adding", "test_mlp_backward",
          keeps=("test_mlp_forward", "test_mlp_step"),
          replace={'self.grads[f"W{i}"] += dw': 'self.grads[f"W{i}"] = dw',
                   'self.grads[f"b{i}"] += db': 'self.grads[f"b{i}"] = db'}),
    wrong("mlp", "bias gradients never stored", "test_mlp_backward",
          replace={'self.grads[f"b{i}"] += db': "pass"}),
    wrong("mlp", "momentum ignored", "test_mlp_step", keeps=("test_mlp_forward", "test_mlp_backward"),
          replace={"self.velocity[k] = self.momentum * self.velocity[k] + self.grads[k]":
                   "self.velocity[k] = self.grads[k]"}),
    wrong("mlp", "averaged momentum (1 - mu) instead of torch's", "test_mlp_step",
          replace={"self.momentum * self.velocity[k] + self.grads[k]":
                   "self.momentum * self.velocity[k] + (1 - self.momentum) * self.grads[k]"}),
    wrong("mlp", "learning rate folded into the velocity (right only while lr stays constant)", "test_mlp_step",
          replace={"self.velocity[k] = self.momentum * self.velocity[k] + self.grads[k]\n        p -= self.lr * self.velocity[k]":
                   "self.velocity[k] = self.momentum * self.velocity[k] - self.lr * self.grads[k]\n        p += self.velocity[k]"}),
    wrong("mlp", "gradient ascent", ("test_mlp_step", "test_mlp_performance"), replace={"p -= ": "p += "}),
    wrong("mlp_hyperparameters", "learning rate zero: the network never learns", "test_mlp_performance",
          replace={"MLP_LR = 0.05": "MLP_LR = 0.0"}),
    wrong("mlp_hyperparameters", "one epoch with a tiny learning rate", "test_mlp_performance",
          replace={"MLP_LR = 0.05": "MLP_LR = 0.0005", "MLP_EPOCHS = 15": "MLP_EPOCHS = 1"}),
    # -- LeNet-5 ---------------------------------------------------------------------------------
    wrong("lenet", "get_error takes the mean of the mistakes (a fraction, 0 after int)", "test_lenet",
          replace={"int(np.sum(self.logits.argmax(axis=1) != y))": "int(np.mean(self.logits.argmax(axis=1) != y))"}),
    wrong("lenet", "pooling with stride 1", "test_lenet",
          replace={"maxpool_forward(h, 2, 2)": "maxpool_forward(h, 2, 1)"}),
    wrong("lenet", "convolution bias gradients never stored", "test_lenet",
          replace={'g[f"{conv}_b"] += db': "pass"}),
    wrong("lenet", "convolution fan-in taken as the number of filters", "test_lenet",
          replace={'int(np.prod(shape[1:])) if name.startswith("conv") else shape[0]': "shape[0]"}),
    wrong("lenet", "seed ignored (a fresh generator)", "test_lenet",
          replace={"init_rng = np.random.default_rng(seed)": "init_rng = np.random.default_rng()"}),
    wrong("lenet", "zero_grads does nothing", "test_lenet", replace={"g[...] = 0.0": "pass"}),
    wrong("lenet", "backward overwrites the gradients instead of adding", "test_lenet",
          replace={'g[f"{fc}_w"] += dw': 'g[f"{fc}_w"] = dw', 'g[f"{fc}_b"] += db': 'g[f"{fc}_b"] = db',
                   'g[f"{conv}_w"] += dw': 'g[f"{conv}_w"] = dw', 'g[f"{conv}_b"] += db': 'g[f"{conv}_b"] = db'}),
    wrong("lenet", "step ignores the momentum", "test_lenet",
          replace={"self.velocity[k] = self.momentum * self.velocity[k] + self.grads[k]":
                   "self.velocity[k] = self.grads[k]"}),
    wrong("lenet", "learning rate folded into the velocity (right only while lr stays constant)", "test_lenet",
          replace={"self.velocity[k] = self.momentum * self.velocity[k] + self.grads[k]\n        p -= self.lr * self.velocity[k]":
                   "self.velocity[k] = self.momentum * self.velocity[k] - self.lr * self.grads[k]\n        p += self.velocity[k]"}),
    wrong("lenet", "ReLU after the output layer", "test_lenet",
          replace={'h, c["fc3"] = fc_forward(h, p["fc3_w"], p["fc3_b"])':
                   'h, c["fc3"] = fc_forward(h, p["fc3_w"], p["fc3_b"])\n    h = np.maximum(h, 0)'}),
    # held out at first (a second author's answers), caught since
    wrong("conv_forward", "a square kernel assumed (kw taken equal to kh)", "test_conv_forward",
          replace={"kh, kw = w.shape[2], w.shape[3]": "kh = kw = w.shape[2]"}),
    wrong("conv_backward", "a square kernel assumed (kw taken equal to kh)", "test_conv_backward",
          replace={"kh, kw = w.shape[2], w.shape[3]": "kh = kw = w.shape[2]"}),
    wrong("softmax_cross_entropy", "the maximum of the whole array subtracted, not each row's",
          "test_softmax_cross_entropy", replace={"logits.max(axis=1, keepdims=True)": "logits.max()"}),
    wrong("random_normal_weight_init", "a generator of its own instead of rng", "test_random_normal_weight_init",
          body="return np.random.default_rng(0).standard_normal(shape)"),
    wrong("he_weight_init", "a generator of its own instead of rng", "test_he_weight_init",
          body="return np.random.default_rng(42).standard_normal(shape) * np.sqrt(2.0 / fan_in)"),
    wrong("zeros_bias_init", "integer zeros: the float updates cannot be added in place", "test_zeros_bias_init",
          body="return np.zeros(n, dtype=int)"),
    wrong("zeros_bias_init", "a Python list, not an array", "test_zeros_bias_init", body="return [0.0] * n"),
    wrong("sigmoid_backward", "s *= 1 - s: the cache (the forward's output) overwritten", "test_sigmoid_backward",
          body="s = cache\ns *= 1 - s\nreturn dout * s"),
    wrong("mlp", "get_loss returns the summed loss", "test_mlp_forward", keeps=("test_mlp_backward",),
          replace={"return softmax_cross_entropy(self.logits, y)[0]":
                   "return softmax_cross_entropy(self.logits, y)[0] * len(y)"}),
]

RIGHT = [
    right("relu_forward", "where with the output as cache", body="out = np.where(x > 0, x, 0.0)\nreturn out, out"),
    right("sigmoid_forward", "tanh form", body="out = 0.5 * (1 + np.tanh(0.5 * x))\nreturn out, out"),
    right("sigmoid_forward", "naive formula (its overflow warnings are silenced)",
          body="out = 1 / (1 + np.exp(-x))\nreturn out, out"),
    right("fc_forward", "einsum", body="out = np.einsum('nd,dm->nm', x.reshape(len(x), -1), w) + b\nreturn out, (x, w)"),
    right("conv_forward", "loop over output positions, vectorised over batch and filters", body="""
N, C, H, W = x.shape
kh, kw = w.shape[2], w.shape[3]
xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
h_out = (H + 2 * pad - kh) // stride + 1
w_out = (W + 2 * pad - kw) // stride + 1
out = np.zeros((N, w.shape[0], h_out, w_out))
for i in range(h_out):
    for j in range(w_out):
        patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
        out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
return out, (x.shape, xp, w, stride, pad)
"""),
    right("conv_forward", "einsum over sliding windows", body="""
xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
out = np.einsum('nchwpq,fcpq->nfhw', win, w) + b[None, :, None, None]
return out, (x.shape, xp, w, stride, pad)
"""),
    right("conv_backward", "loop over output positions", body="""
x_shape, xp, w, stride, pad = cache
kh, kw = w.shape[2], w.shape[3]
dxp, dw = np.zeros_like(xp), np.zeros_like(w)
db = dout.sum(axis=(0, 2, 3))
for i in range(dout.shape[2]):
    for j in range(dout.shape[3]):
        rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
        g = dout[:, :, i, j]
        dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
        dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
return dxp[:, :, pad:pad + x_shape[2], pad:pad + x_shape[3]], dw, db
"""),
    right("maxpool_forward", "loop over output positions", body="""
N, C, H, W = x.shape
h_out, w_out = (H - size) // stride + 1, (W - size) // stride + 1
out = np.zeros((N, C, h_out, w_out))
arg = np.zeros((N, C, h_out, w_out), dtype=int)
for i in range(h_out):
    for j in range(w_out):
        win = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
        arg[:, :, i, j] = win.argmax(axis=-1)
        out[:, :, i, j] = win.max(axis=-1)
return out, (x, arg, size, stride)
"""),
    right("maxpool_forward", "the last of tied maxima receives the gradient",
          replace={"arg = flat.argmax(axis=-1)": "arg = size * size - 1 - flat[..., ::-1].argmax(axis=-1)"}),
    right("maxpool_backward", "np.add.at per output position", body="""
x, arg, size, stride = cache
N, C, h_out, w_out = dout.shape
dx = np.zeros(x.shape)
n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
for i in range(h_out):
    for j in range(w_out):
        p, q = np.divmod(arg[:, :, i, j], size)
        np.add.at(dx, (n_idx, c_idx, i * stride + p, j * stride + q), dout[:, :, i, j])
return dx
"""),
    right("softmax_cross_entropy", "one-hot labels and log-sum-exp", body="""
n, c = logits.shape
onehot = np.eye(c)[y]
z = logits - logits.max(axis=1, keepdims=True)
lse = np.log(np.exp(z).sum(axis=1))
loss = np.mean(lse - np.sum(onehot * z, axis=1))
return loss, (np.exp(z - lse[:, None]) - onehot) / n
"""),
    right("he_weight_init", "rng.normal with a scale", body="return rng.normal(0.0, np.sqrt(2 / fan_in), size=shape)"),
    right("mlp", "ReLU derivative written inline from relu_forward's cache (x), not through relu_backward",
          replace={"d = act_backward(d, act_cache)":
                   'd = d * (act_cache > 0) if self.activation == "relu" else act_backward(d, act_cache)'}),
    right("mlp", "step builds new parameter arrays",
          replace={"p -= self.lr * self.velocity[k]": "self.params[k] = p - self.lr * self.velocity[k]"}),
]
