"""Plots shared by the notebooks. Each function draws on a Matplotlib axes and returns it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _axes(ax=None, figsize: tuple[float, float] = (7, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_functions(functions: dict[str, Callable[[np.ndarray], np.ndarray]], x: np.ndarray,
                   title: str = "", ax=None):
    """Draw each function of ``functions`` (label -> f) over the points ``x`` (shape (n,))."""
    ax = _axes(ax)
    for label, f in functions.items():
        ax.plot(x, f(x), label=label, linewidth=2)
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set(xlabel="x", ylabel="f(x)", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_descent_paths(f: Callable[[np.ndarray], np.ndarray], paths: dict[str, np.ndarray],
                       x_range: tuple[float, float], title: str = "", mark: float | None = None, ax=None):
    """Draw the curve of ``f`` over ``x_range`` and each path of iterates (label -> array (k,)) on it.

    Iterates are joined in order and numbered; ``mark`` draws a vertical line (e.g. at the true minimum).
    """
    ax = _axes(ax)
    grid = np.linspace(*x_range, 400)
    ax.plot(grid, f(grid), color="black", linewidth=1.5, label="f(x)")
    markers = "osD^v"
    for i, (label, xs) in enumerate(paths.items()):
        xs = np.asarray(xs, dtype=float)
        ys = f(xs)
        ax.plot(xs, ys, marker=markers[i % len(markers)], linestyle="--", label=label, alpha=0.85)
        for t, (xt, yt) in enumerate(zip(xs, ys)):
            ax.annotate(str(t), (xt, yt), textcoords="offset points", xytext=(4, 6 + 8 * i), fontsize=8)
    if mark is not None:
        ax.axvline(mark, color="tab:red", linewidth=1, linestyle=":", label=f"x = {mark:.4f}")
    ax.set(xlabel="x", ylabel="f(x)", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
