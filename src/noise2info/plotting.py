"""Figures: training curves (losses, sigma_loss) and before / after panels."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: dict, path: str | Path, sigma_true: float | None = None) -> Path:
    """Losses against steps (left); sigma_loss, sigma* and the noise readout per round, the
    run's sigma (the images' own reading; with the bound for correlated noise) and the final
    readout of the network (right)."""
    plt = pyplot()
    steps = history["steps"]
    rounds = history["sigma_rounds"]
    fig, (ax_l, ax_s) = plt.subplots(1, 2, figsize=(10, 3.8))
    x = [r["step"] for r in steps]
    for key in ("loss", "L_in", "L_ex"):  # each over the records that hold it (stages differ)
        held = [(r["step"], r[key]) for r in steps if key in r]
        if held:
            ax_l.plot(*zip(*held, strict=True), label=key)
    first = [r["step"] for r in steps if "div" not in r]  # "div": Noise2Info's second stage
    if first and len(first) < len(steps):
        ax_l.axvline(first[-1], color="grey", ls=":", label="second stage")
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss terms")
    ax_l.set_yscale("log", nonpositive="mask")  # a SURE batch may estimate below 0
    ax_l.legend()
    ax_l.set_title("training losses")
    if steps and "sigma_loss" in steps[0]:
        ax_s.plot(x, [r["sigma_loss"] for r in steps], label="sigma_loss", drawstyle="steps-post")
    if rounds:
        xs = [r["step"] for r in rounds if r["sigma_star"] is not None]
        ax_s.plot(
            xs,
            [r["sigma_star"] for r in rounds if r["sigma_star"] is not None],
            ".",
            label="sigma* (per round)",
            alpha=0.6,
        )
        read = [(r["step"], r["sigma_readout"]) for r in rounds if r.get("sigma_readout") is not None]
        if read:
            ax_s.plot(*zip(*read, strict=True), "o-", label="readout sigma (per round)", ms=3)
    if history.get("sigma") is not None:  # the run's sigma (noise_level.run_noise_std)
        label = f"run's sigma {history['sigma']:.4f}"
        ax_s.axhline(history["sigma"], color="C2", ls=":", label=label)
    if history.get("sigma_readout") is not None:
        label = f"final readout {history['sigma_readout']:.4f}"
        ax_s.axhline(history["sigma_readout"], color="C3", ls="-.", label=label)
    if sigma_true is not None:
        ax_s.axhline(sigma_true, color="k", ls="--", label="true sigma_n")
    ax_s.set_xlabel("step")
    ax_s.set_ylabel("sigma (normalised units)")
    ax_s.set_title("noise level")
    if ax_s.has_data():
        ax_s.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_before_after(panels: list[tuple[str, np.ndarray]], path: str | Path) -> Path:
    """Side-by-side grey / colour images with titles, e.g. clean / noisy / denoised."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.8))
    for ax, (title, img) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_noise_level(nlf: dict, path: str | Path) -> Path:
    """The noise std against intensity (one point per bin) with the fitted Poisson-Gaussian
    curve sqrt(a * intensity + b^2)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    draw_noise_level(ax, nlf)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def draw_noise_level(ax, nlf: dict) -> None:
    """:func:`plot_noise_level`'s figure on the matplotlib axes ``ax`` (a file or a widget)."""
    ax.plot(nlf["intensity"], nlf["sigma"], "o", label="readout per intensity bin")
    if nlf["a"] is not None:
        x = np.linspace(min(nlf["intensity"]), max(nlf["intensity"]), 100)
        fit = np.sqrt(np.clip(nlf["a"] * x + nlf["b"] ** 2, 0, None))
        ax.plot(x, fit, "-", label=f"fit: a = {nlf['a']:.4g}, b = {nlf['b']:.4g}")
    ax.set_xlabel("intensity (image units)")
    ax.set_ylabel("noise std (image units)")
    ax.set_title("noise level function")
    ax.legend()
