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


def plot_decision_regions(predict: Callable[[np.ndarray], np.ndarray], points: np.ndarray | None = None,
                          labels: np.ndarray | None = None, title: str = "", resolution: int = 201, ax=None):
    """Shade the classes a two-input classifier gives over the unit square [0, 1]^2 and draw its boundary.

    Args:
        predict: function of an array of shape (n, 2) returning outputs of shape (n,) or (n, 1) in [0, 1];
            an output >= 0.5 is class 1.
        points: optional inputs to mark, shape (k, 2) (e.g. the four rows of a truth table).
        labels: optional wanted classes of ``points``, shape (k,): filled markers for 1, open ones for 0.
        resolution: grid points per side.
    """
    import warnings

    ax = _axes(ax, figsize=(4.5, 4.5))
    grid = np.linspace(0.0, 1.0, resolution)
    gx, gy = np.meshgrid(grid, grid)
    with np.errstate(all="ignore"):
        out = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])), dtype=float).reshape(gx.shape)
    ax.contourf(gx, gy, (out >= 0.5).astype(float), levels=[-0.5, 0.5, 1.5], colors=["#dbe9f6", "#fbe3c9"])
    if np.nanmin(out) < 0.5 < np.nanmax(out):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ax.contour(gx, gy, out, levels=[0.5], colors="black", linewidths=1.5)
    if points is not None:
        points = np.asarray(points, dtype=float)
        wanted = np.zeros(len(points)) if labels is None else np.asarray(labels, dtype=float).reshape(-1)
        for value, face in ((1.0, "tab:orange"), (0.0, "white")):
            chosen = points[wanted == value]
            ax.scatter(chosen[:, 0], chosen[:, 1], s=120, c=face, edgecolors="black", linewidths=1.5,
                       zorder=3, clip_on=False, label=f"wanted {int(value)}")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="A", ylabel="B", title=title, aspect="equal")
    return ax


def plot_history(history, title: str = "", axes=None):
    """Loss (left) and error in % (right) per epoch, training and test, from a ``helpers.training.History``.

    Args:
        history: an object with per-epoch lists ``epoch``, ``train_loss``, ``train_error`` and, when
            measured, ``test_loss`` and ``test_error`` (errors as fractions).
        axes: two Matplotlib axes to draw on, or None for a new figure.
    Returns:
        the two axes.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    loss_ax, error_ax = axes
    epochs = np.asarray(history.epoch)
    for ax, kind, scale in ((loss_ax, "loss", 1.0), (error_ax, "error", 100.0)):
        for split, style in (("train", "-o"), ("test", "-s")):
            values = getattr(history, f"{split}_{kind}", [])
            if len(values):
                ax.plot(epochs[: len(values)], scale * np.asarray(values), style, markersize=3, label=split)
        ax.set(xlabel="epoch", ylabel=f"{kind} (%)" if kind == "error" else kind)
        ax.grid(alpha=0.3)
        ax.legend()
    loss_ax.set_title(f"{title}: loss" if title else "loss")
    error_ax.set_title(f"{title}: error" if title else "error")
    return axes


def plot_predictions(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, n: int = 24,
                     cols: int = 8, title: str = ""):
    """A grid of the first ``n`` images with their predicted labels (wrong ones in red, with the true label).

    Args:
        images: array of shape (N, 1, H, W) or (N, H, W), values in [0, 1].
        labels: true classes, shape (N,).
        predictions: predicted classes, shape (N,).
    Returns:
        the Matplotlib figure.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    images = images.reshape(images.shape[0], images.shape[-2], images.shape[-1])
    n = min(n, len(images))
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.5 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        right = int(predictions[i]) == int(labels[i])
        text = f"{int(predictions[i])}" if right else f"{int(predictions[i])} (true {int(labels[i])})"
        ax.set_title(text, fontsize=9, color="black" if right else "tab:red")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_samples(images: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...] | list[str],
                       per_class: int = 8):
    """One row of colour images per class (named on the left): the first ``per_class`` images of each, drawn as a
    single mosaic (one axes, so it draws fast even under the autograder).

    Args:
        images: array of shape (N, 3, H, W), values in [0, 1].
        labels: classes, shape (N,), values in 0..len(class_names) - 1.
        class_names: the name of each class.
    Returns:
        the Matplotlib figure.
    """
    import matplotlib.pyplot as plt

    images, labels = np.asarray(images), np.asarray(labels)
    rows, (height, width), gap = len(class_names), images.shape[-2:], 2
    mosaic = np.ones((rows * (height + gap) - gap, per_class * (width + gap) - gap, 3))
    for row in range(rows):
        for col, index in enumerate(np.flatnonzero(labels == row)[:per_class]):
            top, left = row * (height + gap), col * (width + gap)
            mosaic[top:top + height, left:left + width] = np.clip(images[index].transpose(1, 2, 0), 0, 1)
    fig, ax = plt.subplots(figsize=(0.8 * per_class + 1.2, 0.8 * rows))
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_yticks([r * (height + gap) + height / 2 for r in range(rows)], list(class_names))
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    return fig


def plot_curves(curves: dict[str, list[float]], xlabel: str = "epoch", ylabel: str = "", title: str = "", ax=None):
    """One line per entry of ``curves`` (label -> values at x = 1, 2, ...), e.g. validation error per epoch."""
    ax = _axes(ax)
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, "-o", markersize=3, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend()
    return ax


def plot_attention(weights: np.ndarray, source_tokens: list[str], target_tokens: list[str], title: str = "",
                   ax=None):
    """A heat map of attention weights: one row per target symbol, one column per source symbol.

    Args:
        weights: array of shape (T, S); row t holds the attention over the source when producing target t.
        source_tokens: the S source symbols (column labels).
        target_tokens: the T target symbols (row labels).
    """
    weights = np.asarray(weights, dtype=float)
    ax = _axes(ax, figsize=(0.3 * len(source_tokens) + 2, 0.3 * len(target_tokens) + 1.5))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    show = {" ": "_"}
    ax.set_xticks(range(len(source_tokens)), [show.get(t, t) for t in source_tokens], fontsize=8)
    ax.set_yticks(range(len(target_tokens)), [show.get(t, t) for t in target_tokens], fontsize=8)
    ax.set(xlabel="source (Spanish)", ylabel="output (English)", title=title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
    return ax
