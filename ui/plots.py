"""Matplotlib figures for the studio: before/after waveforms and training curves.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state); the Agg backend is chosen
inside the plotting functions, never at import.

Shapes: t = samples, b = envelope bins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC")
FONTS: list[str] = ["DejaVu Sans"]  # completed with installed CJK fonts by _agg()


def _agg() -> None:
    """Select the Agg backend and add the installed CJK fallback fonts (once)."""
    import matplotlib
    from matplotlib import font_manager

    matplotlib.use("Agg")
    if len(FONTS) == 1:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        FONTS.extend(name for name in CJK_FONTS if name in installed)


def envelope(audio: np.ndarray, bins: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin minimum and maximum of mono audio [t] -> ([b], [b]) for a compact waveform plot."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        return np.zeros(1, np.float32), np.zeros(1, np.float32)
    bins = max(1, min(bins, audio.size))
    usable = audio[: audio.size // bins * bins].reshape(bins, -1)  # [b, t/b]
    return usable.min(axis=1), usable.max(axis=1)


def waveform_figure(tracks: Sequence[tuple[str, np.ndarray, int]], height_per_track: float = 1.6):  # noqa: ANN201
    """One stacked waveform panel per ``(title, audio [t], sample_rate)``; returns a Figure."""
    _agg()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, height_per_track * max(len(tracks), 1)), layout="constrained")
    axes = fig.subplots(max(len(tracks), 1), 1, squeeze=False)[:, 0]
    for ax, (title, audio, sr) in zip(axes, tracks, strict=False):
        low, high = envelope(audio)
        seconds = np.linspace(0.0, len(audio) / max(sr, 1), num=low.size)
        ax.fill_between(seconds, low, high, color="#2563eb", linewidth=0)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlim(0, max(seconds[-1], 1e-3))
        ax.set_title(title, fontsize=10, loc="left", fontfamily=FONTS)
        ax.set_yticks([])
        ax.grid(axis="x", alpha=0.3)
    axes[-1].set_xlabel("s")
    return fig


def curves_figure(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str = "",
                  xlabel: str = "step"):  # noqa: ANN201
    """Line plot of named (x, y) series on one axis (e.g. train and validation losses)."""
    _agg()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.2), layout="constrained")
    ax = fig.subplots()
    for name, (xs, ys) in series.items():
        if len(xs):
            ax.plot(xs, ys, label=name, marker="o" if len(xs) < 3 else None, markersize=3)
    ax.set_title(title, fontsize=10, loc="left", fontfamily=FONTS)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(loc="upper right", prop={"family": FONTS, "size": 8})
    return fig


def loss_grid_figure(panels: dict[str, dict[str, tuple[Sequence[float], Sequence[float]]]], columns: int = 4):  # noqa: ANN201
    """Small multiples: one panel per loss (title -> {series name: (steps, values)}).

    Losses have very different scales (mel x45 vs KL), so each gets its own axis; train values are
    a line, validation values are dots.
    """
    _agg()
    from matplotlib.figure import Figure

    count = max(len(panels), 1)
    rows = (count + columns - 1) // columns
    fig = Figure(figsize=(11, 2.2 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (title, series) in zip(axes, panels.items(), strict=False):
        for name, (xs, ys) in series.items():
            if name.startswith("val"):
                style = {"marker": "o", "linestyle": "none", "markersize": 4}
            else:
                style = {"linewidth": 1.2, "marker": "." if len(xs) < 20 else None}
            if len(xs):
                ax.plot(xs, ys, label=name, **style)
        ax.set_title(title, fontsize=9, loc="left", fontfamily=FONTS)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if panels:
        axes[0].legend(prop={"family": FONTS, "size": 7}, loc="upper right")
    return fig
