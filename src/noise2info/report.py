"""The run report: one self-contained ``report.html`` per training run (images inline, no
scripts, no links it needs), readable offline in any browser.

It shows what a person checks after a run: the config, the data (count, shapes, dtypes, each
image's noise level), the loss and sigma curves, the noise estimates with their spread,
before / after crops of a few training images, and time and throughput.
"""

from __future__ import annotations

import base64
import html
import io as _io
import json
import math
from pathlib import Path

import numpy as np

from .io import atomic_write
from .run import CURVES, REPORT, run_record

CROP = 128  # side of the before / after crops
CROPS = 3  # training images shown before / after
TABLE_ROWS = 50  # images listed one by one; the rest summarised


def _png(array: np.ndarray) -> str:
    """A 2-D float array (or ``(H, W, 3)``) as an inline PNG, scaled to its 0.5-99.5 %."""
    from PIL import Image

    lo, hi = np.percentile(array, [0.5, 99.5])
    grey = np.clip((array - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)
    buf = _io.BytesIO()
    Image.fromarray(grey).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figure_png(fig) -> str:
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _view(sample: np.ndarray) -> np.ndarray:
    """What a crop shows of a ``(C, *spatial)`` sample: the middle plane, RGB as colour, else
    the first channel."""
    x = np.asarray(sample, np.float64)
    if x.ndim == 4:  # a volume: its middle plane
        x = x[:, x.shape[1] // 2]
    return np.moveaxis(x, 0, -1) if x.shape[0] == 3 else x[0]


def _crops(run, images, names, count: int = CROPS, side: int = CROP) -> list[dict]:
    """Before / after centre crops of up to ``count`` training images, evenly spaced,
    denoised as ``noise2info denoise`` would (the run with its plan)."""
    from .noise_level import centre, evenly_spaced
    from .prediction import denoise

    chosen = evenly_spaced(len(images), count)
    out = []
    for i in chosen:
        window = centre(images[i], side).astype(np.float32)
        after = denoise(run, window)
        both = np.concatenate([_view(window), _view(after)], axis=1)
        out.append({"name": names[i], "png": _png(both)})
    return out


def _noise_figure(per_image: list[dict]) -> str | None:
    """Each image's noise std (intensity units) against its index."""
    found = [(e["index"], e["sigma_intensity"]) for e in per_image if e.get("sigma_intensity") is not None]
    if len(found) < 2:
        return None
    from .plotting import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.plot(*zip(*found, strict=True), "o", ms=3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("training image")
    ax.set_ylabel("noise std (intensity)")
    ax.set_title("noise level per image")
    png = _figure_png(fig)
    plt.close(fig)
    return png


def readout_spread(per_image: list[dict]) -> dict:
    """The spread of the per-image noise readings (normalised units): how many, mean, std,
    the standard error of the mean (std / sqrt(n)), min and max; None where fewer than two."""
    values = np.array([e["sigma"] for e in per_image if e.get("sigma") is not None], np.float64)
    if len(values) < 2:
        return {"images": int(len(values)), "mean": None, "std": None, "sem": None, "min": None, "max": None}
    std = float(values.std(ddof=1))
    return {
        "images": int(len(values)),
        "mean": float(values.mean()),
        "std": std,
        "sem": std / math.sqrt(len(values)),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return html.escape(str(value))


def _rows(pairs) -> str:
    return "".join(f"<tr><th>{html.escape(str(k))}</th><td>{v}</td></tr>" for k, v in pairs)


def _pipeline_rows(plan, record: dict) -> str:
    """One table row per pipeline stage: its decision, its explanation and its off setting."""
    from .pipeline import STAGES

    rows = []
    for stage in STAGES:
        note = stage.note(plan, record)
        why = " ".join(stage.explain(plan, record))
        off = "always on" if stage.off is None else ", ".join(f"{k} {v}" for k, v in stage.off.items())
        rows.append(
            f"<tr><td>{html.escape(stage.name)}</td><td>{_fmt(note)}</td>"
            f"<td>{html.escape(why) or '&ndash;'}</td><td>{html.escape(off)}</td></tr>"
        )
    return "".join(rows)


def write_report(run_dir: str | Path, result, images, names: list[str], direct: dict | None = None) -> Path:
    """Write ``report.html`` into ``run_dir``.

    Parameters
    ----------
    run_dir : str or Path
        The run folder (its ``curves.png``, written by :func:`noise2info.save_run`, is inlined).
    result : TrainResult
        The finished run.
    images : list of array-like
        The training samples, ``(C, *spatial)``.
    names : list of str
        One name per sample.
    direct : dict, optional
        The training images' noise reading (:func:`noise2info.noise_level.direct_noise_std`);
        read here when not given.

    Returns
    -------
    Path
        The report's path.
    """
    from .noise_level import direct_noise_std

    run_dir = Path(run_dir)
    cfg = result.config
    if direct is None:
        direct = direct_noise_std(images)
    spread = readout_spread(direct["per_image"])
    read = {e["index"]: e for e in direct["per_image"]}
    history = run_record(result)
    steps = cfg.training.steps
    seconds = float(result.seconds or 0.0)

    shapes = [tuple(int(s) for s in im.shape) for im in images]
    dtypes = sorted({str(getattr(im, "dtype", "float")) for im in images})
    data_rows = []
    for i, (name, shape) in enumerate(zip(names, shapes, strict=True)):
        if i == TABLE_ROWS:
            data_rows.append(f"<tr><td colspan=4>... and {len(names) - TABLE_ROWS} more</td></tr>")
            break
        e = read.get(i, {})
        data_rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{' x '.join(map(str, shape))}</td>"
            f"<td>{_fmt(e.get('sigma'))}</td><td>{_fmt(e.get('sigma_intensity'))}</td></tr>"
        )

    curves = run_dir / CURVES
    curves_img = "<p>no curves.png in the run folder</p>"
    if curves.is_file():
        inline = base64.b64encode(curves.read_bytes()).decode()
        curves_img = f'<img alt="loss and sigma curves" src="data:image/png;base64,{inline}">'
    noise_png = _noise_figure(direct["per_image"])
    crops = _crops(result, images, names)
    stages = _pipeline_rows(result.plan, history)
    last = history["steps"][-1] if history.get("steps") else {}
    estimates = [
        ("sigma (the images' own reading, pooled; with the bound for correlated noise)", _fmt(result.sigma)),
        ("sigma_loss (Noise2Info's bound, the loss weight)", _fmt(result.sigma_loss)),
        ("noise readout of the trained network", _fmt(getattr(result, "sigma_readout", None))),
        (
            "per-image readings: mean ± standard error (std, n)",
            f"{_fmt(spread['mean'])} &plusmn; {_fmt(spread['sem'], 2)} "
            f"({_fmt(spread['std'], 3)}, {spread['images']})"
            if spread["mean"] is not None
            else "&ndash;",
        ),
        (
            "per-image range",
            f"{_fmt(spread['min'])} &ndash; {_fmt(spread['max'])}" if spread["min"] else "&ndash;",
        ),
    ]
    timing = [
        ("training time", f"{seconds:.1f} s ({seconds / 60:.1f} min)"),
        ("steps", steps),
        ("steps / s", f"{steps / seconds:.2f}" if seconds else "&ndash;"),
        ("patches / s", f"{steps * cfg.training.batch_size / seconds:.1f}" if seconds else "&ndash;"),
        (
            "last logged losses",
            html.escape(", ".join(f"{k} {v:.4g}" for k, v in last.items() if k != "step")),
        ),
    ]
    crop_html = "".join(
        f'<figure><img class="crop" alt="{html.escape(c["name"])}" src="{c["png"]}">'
        f"<figcaption>{html.escape(c['name'])}: noisy (left) | denoised (right), centre crop"
        "</figcaption></figure>"
        for c in crops
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>noise2info run: {html.escape(run_dir.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; font-size: 0.9em; }}
th {{ background: #f4f4f4; font-weight: 600; }}
img {{ max-width: 100%; image-rendering: pixelated; }}
img.crop {{ width: 300px; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
figcaption {{ font-size: 0.85em; color: #555; }}
pre {{ background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }}
</style></head><body>
<h1>noise2info run <code>{html.escape(run_dir.name)}</code></h1>
<p>Method <b>{html.escape(cfg.method.name)}</b>, {cfg.model.dims}-D U-Net, {cfg.model.channels} channel(s),
{steps} steps. Noise levels are in normalised units (each image divided by its own std) unless
marked intensity.</p>
<h2>Pipeline</h2>
<p>The default pipeline's stages in the order they run: what each decided from the training
images (saved as plan.json) and how to switch it off.</p>
<table><tr><th>stage</th><th>decided</th><th>why</th><th>off</th></tr>{stages}</table>
<h2>Noise level</h2><table>{_rows(estimates)}</table>
{f'<img alt="noise level per image" src="{noise_png}">' if noise_png else ""}
<h2>Curves</h2>{curves_img}
<h2>Before / after</h2>{crop_html}
<h2>Time and throughput</h2><table>{_rows(timing)}</table>
<h2>Data</h2>
<p>{len(images)} image(s); dtype(s) {html.escape(", ".join(dtypes))}.</p>
<table><tr><th>image</th><th>shape (C, ...)</th><th>noise std</th><th>noise std (intensity)</th></tr>
{"".join(data_rows)}</table>
<h2>Config</h2><pre>{html.escape(json.dumps(json.loads(cfg.model_dump_json()), indent=1), quote=False)}</pre>
</body></html>
"""
    path = run_dir / REPORT
    atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return path
