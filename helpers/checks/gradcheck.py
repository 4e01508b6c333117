"""Numerical gradient checking with centred differences.

The one gradient checker of the course: every notebook that asks for a
derivative or a backward pass proves it with these functions.

The relative error between two arrays ``a`` and ``b`` is
``max |a - b| / max(|a| + |b|, tiny)``, taken element by element; below
``1e-6`` an analytic gradient is almost certainly right, and around ``1e-2``
or above it is almost certainly wrong.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks import CheckFailed, passed, quiet

DEFAULT_THRESHOLD = 1e-6


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error between ``a`` and ``b`` (same shape)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    upstream: np.ndarray | None = None,
    h: float = 1e-5,
) -> np.ndarray:
    """Centred-difference gradient of ``sum(upstream * f(x))`` with respect to ``x``.

    Args:
        f: function of one array; its output may have any shape (a scalar too).
        x: the point, any shape; it is copied to float64 and never modified.
        upstream: the gradient flowing into ``f``'s output (same shape as ``f(x)``);
            ``None`` means ones, i.e. the gradient of ``sum(f(x))``.
        h: the step of the differences.

    Returns:
        An array of the shape of ``x``.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    with quiet():
        for index in np.ndindex(*x.shape):
            saved = x[index]
            x[index] = saved + h
            plus = np.asarray(f(x), dtype=np.float64)
            x[index] = saved - h
            minus = np.asarray(f(x), dtype=np.float64)
            x[index] = saved
            weight = 1.0 if upstream is None else np.asarray(upstream, dtype=np.float64)
            grad[index] = np.sum(weight * (plus - minus)) / (2 * h)
    return grad


def elementwise_derivative(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference derivative of an element-wise function, in one vectorised call.

    ``f`` must act on each element independently (like ``np.tanh``); the result
    has the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    with quiet():
        return (np.asarray(f(x + h), dtype=np.float64) - np.asarray(f(x - h), dtype=np.float64)) / (2 * h)


def check_gradient(
    analytic: np.ndarray,
    numeric: np.ndarray,
    name: str,
    threshold: float = DEFAULT_THRESHOLD,
) -> None:
    """Compare an analytic gradient with a numerical one and report the relative error.

    Prints one ``[ok]`` line with the error; raises :class:`~helpers.checks.CheckFailed` when it is
    above ``threshold`` or when the shapes differ. Returns nothing (:func:`relative_error` computes the error).
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise CheckFailed(
            f"the gradient `{name}` has shape {analytic.shape}, but the input it is taken with respect to "
            f"has shape {numeric.shape}: a gradient always has the shape of what it differentiates."
        )
    error = relative_error(analytic, numeric)
    if not error <= threshold:  # also catches NaN
        raise CheckFailed(
            f"`{name}`: relative error {error:.2e} against finite differences is above {threshold:.0e}; "
            "the analytic gradient is probably wrong."
        )
    passed(f"{name}: relative error {error:.2e} (threshold {threshold:.0e})")
