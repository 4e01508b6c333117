"""The reference NumPy layers of notebook 05, for the benchmarks (instructor side, not released).

This is the same algorithm as the reference solution in
``source/05_numpy_networks/05_numpy_networks.ipynb``: convolution and max pooling
gather their windows with ``np.lib.stride_tricks.sliding_window_view`` (im2col
without a copy until the contraction), contract them with ``np.tensordot`` (one
matrix product), and scatter gradients back with one strided addition per kernel
offset. Keep the two in step when either changes.

Every layer is a pair ``*_forward(...) -> (out, cache)`` / ``*_backward(dout, cache)``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x: any shape -> out: same shape."""
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dout: shape of x -> dx: shape of x."""
    return dout * (cache > 0)


def fc_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x: (N, d_1, ..., d_k) flattened to (N, D); w: (D, M); b: (M,) -> out: (N, M)."""
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def fc_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout: (N, M) -> dx: shape of x, dw: (D, M), db: (M,)."""
    x, w = cache
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def _windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """(N, C, H, W) -> view (N, C, H_out, W_out, kh, kw) of every window."""
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def _scatter(dx: np.ndarray, dwin: np.ndarray, stride: int) -> None:
    """Add window gradients dwin (N, C, H_out, W_out, kh, kw) into dx (N, C, H, W), in place."""
    _, _, h_out, w_out, kh, kw = dwin.shape
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dwin[:, :, :, :, i, j]


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
                 pad: int = 0) -> tuple[np.ndarray, tuple]:
    """x: (N, C, H, W); w: (F, C, kh, kw); b: (F,) -> out: (N, F, H_out, W_out).

    H_out = (H + 2 pad - kh) // stride + 1, and likewise W_out.
    """
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = _windows(xp, w.shape[2], w.shape[3], stride)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, F)
    out = out.transpose(0, 3, 1, 2) + b[None, :, None, None]
    return np.ascontiguousarray(out), (x.shape, xp, w, stride, pad)


def conv_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout: (N, F, H_out, W_out) -> dx: (N, C, H, W), dw: (F, C, kh, kw), db: (F,)."""
    x_shape, xp, w, stride, pad = cache
    win = _windows(xp, w.shape[2], w.shape[3], stride)
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, kh, kw)
    db = dout.sum(axis=(0, 2, 3))
    dwin = np.tensordot(dout, w, axes=([1], [0]))  # (N, H_out, W_out, C, kh, kw)
    dxp = np.zeros_like(xp)
    _scatter(dxp, dwin.transpose(0, 3, 1, 2, 4, 5), stride)
    h, wd = x_shape[2], x_shape[3]
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, db


def maxpool_forward(x: np.ndarray, size: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple]:
    """x: (N, C, H, W) -> out: (N, C, H_out, W_out), H_out = (H - size) // stride + 1."""
    win = _windows(x, size, size, stride)
    flat = win.reshape(*win.shape[:4], size * size)
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg, size, stride)


def maxpool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dout: (N, C, H_out, W_out) -> dx: (N, C, H, W); each window's gradient goes to its maximum."""
    x_shape, arg, size, stride = cache
    dwin = np.zeros((*dout.shape, size * size), dtype=dout.dtype)
    np.put_along_axis(dwin, arg[..., None], dout[..., None], axis=-1)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    _scatter(dx, dwin.reshape(*dout.shape, size, size), stride)
    return dx


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """logits: (N, C); y: (N,) ints -> (mean loss, dlogits of shape (N, C))."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -log_p[np.arange(n), y].mean()
    d = np.exp(log_p)
    d[np.arange(n), y] -= 1
    return float(loss), d / n


def he_weight_init(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator) -> np.ndarray:
    """Normal weights with standard deviation sqrt(2 / fan_in)."""
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


class Network:
    """Parameters in ``params``; gradients in ``grads`` (accumulated); SGD with (PyTorch-style) momentum."""

    def __init__(self, lr: float, momentum: float) -> None:
        self.lr, self.momentum = lr, momentum
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.velocity = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.logits = None

    def zero_grads(self) -> None:
        for g in self.grads.values():
            g[...] = 0

    def step(self) -> None:
        for k, p in self.params.items():
            self.velocity[k] = self.momentum * self.velocity[k] + self.grads[k]
            p -= self.lr * self.velocity[k]

    def get_loss(self, y: np.ndarray) -> float:
        return softmax_cross_entropy(self.logits, y)[0]

    def get_error(self, y: np.ndarray) -> int:
        return int(np.sum(self.logits.argmax(axis=1) != y))


class MLP(Network):
    """Fully connected ReLU network; sizes = [D, H_1, ..., C]; forward: (N, ...) -> logits (N, C)."""

    def __init__(self, sizes: list[int], lr: float = 0.05, momentum: float = 0.9, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.n = len(sizes) - 1
        self.params = {}
        for i in range(1, self.n + 1):
            self.params[f"W{i}"] = he_weight_init((sizes[i - 1], sizes[i]), sizes[i - 1], rng)
            self.params[f"b{i}"] = np.zeros(sizes[i])
        super().__init__(lr, momentum)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.caches = []
        h = x.reshape(x.shape[0], -1)
        for i in range(1, self.n + 1):
            h, fc = fc_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            act = None
            if i < self.n:
                h, act = relu_forward(h)
            self.caches.append((fc, act))
        self.logits = h
        return h

    def backward(self, y: np.ndarray) -> None:
        _, d = softmax_cross_entropy(self.logits, y)
        for i in range(self.n, 0, -1):
            fc, act = self.caches[i - 1]
            if act is not None:
                d = relu_backward(d, act)
            d, dw, db = fc_backward(d, fc)
            self.grads[f"W{i}"] += dw
            self.grads[f"b{i}"] += db


class LeNet5(Network):
    """conv 5x5 (1->6) ReLU, pool 2, conv 5x5 (6->16) ReLU, pool 2, FC 256->120->84->10 (ReLU between)."""

    def __init__(self, lr: float = 0.05, momentum: float = 0.9, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params = {
            "conv1_w": he_weight_init((6, 1, 5, 5), 25, rng), "conv1_b": np.zeros(6),
            "conv2_w": he_weight_init((16, 6, 5, 5), 150, rng), "conv2_b": np.zeros(16),
            "fc1_w": he_weight_init((256, 120), 256, rng), "fc1_b": np.zeros(120),
            "fc2_w": he_weight_init((120, 84), 120, rng), "fc2_b": np.zeros(84),
            "fc3_w": he_weight_init((84, 10), 84, rng), "fc3_b": np.zeros(10),
        }
        super().__init__(lr, momentum)

    def forward(self, x: np.ndarray) -> np.ndarray:
        p, c = self.params, {}
        h, c["conv1"] = conv_forward(x, p["conv1_w"], p["conv1_b"])
        h, c["relu1"] = relu_forward(h)
        h, c["pool1"] = maxpool_forward(h)
        h, c["conv2"] = conv_forward(h, p["conv2_w"], p["conv2_b"])
        h, c["relu2"] = relu_forward(h)
        h, c["pool2"] = maxpool_forward(h)
        h, c["fc1"] = fc_forward(h, p["fc1_w"], p["fc1_b"])
        h, c["relu3"] = relu_forward(h)
        h, c["fc2"] = fc_forward(h, p["fc2_w"], p["fc2_b"])
        h, c["relu4"] = relu_forward(h)
        h, c["fc3"] = fc_forward(h, p["fc3_w"], p["fc3_b"])
        self.caches, self.logits = c, h
        return h

    def backward(self, y: np.ndarray) -> None:
        c, g = self.caches, self.grads
        _, d = softmax_cross_entropy(self.logits, y)
        for name, act in (("fc3", "relu4"), ("fc2", "relu3"), ("fc1", None)):
            d, dw, db = fc_backward(d, c[name])
            g[f"{name}_w"] += dw
            g[f"{name}_b"] += db
            if act is not None:
                d = relu_backward(d, c[act])
        for conv, relu, pool in (("conv2", "relu2", "pool2"), ("conv1", "relu1", "pool1")):
            d = relu_backward(maxpool_backward(d, c[pool]), c[relu])
            d, dw, db = conv_backward(d, c[conv])
            g[f"{conv}_w"] += dw
            g[f"{conv}_b"] += db
