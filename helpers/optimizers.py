"""Adam for parameters kept as a dict of NumPy arrays, and a learning-rate schedule.

Used by notebook 08 (08_numpy_lstm_shakespeare). :class:`Adam` takes the same steps as ``torch.optim.Adam`` (no
weight decay), which the tests check; ``step(params, grads)`` updates ``params`` in place, and ``lr`` may be
changed between steps. There is no SGD with momentum here: students write it themselves in notebooks 01 and 05.
"""

from __future__ import annotations

import math

import numpy as np

Params = dict[str, np.ndarray]

__all__ = ["Adam", "warmup_cosine"]


class Adam:
    """Adam (Kingma and Ba, 2015) with bias correction.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr m_hat / (sqrt(v_hat) + eps),
    with m_hat = m / (1 - b1^t) and v_hat = v / (1 - b2^t) after t steps.
    """

    def __init__(self, params: Params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {name: np.zeros_like(value) for name, value in params.items()}
        self.v = {name: np.zeros_like(value) for name, value in params.items()}
        self.t = 0

    def step(self, params: Params, grads: Params) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1.0 - b1**self.t)
        root_correction = math.sqrt(1.0 - b2**self.t)
        for name, value in params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            value -= step_size * (m / (np.sqrt(v) / root_correction + self.eps))


def warmup_cosine(step: int, total: int, lr: float, lr_min: float = 0.0, warmup: int = 0) -> float:
    """The learning rate of ``step`` (0-based): linear warm-up to ``lr`` over ``warmup`` steps, then a cosine
    down to ``lr_min`` at step ``total`` (and ``lr_min`` after it)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    fraction = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * fraction))
