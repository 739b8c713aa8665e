"""The demo: blind denoising of scikit-image's bundled sample images, no arguments needed.

Clean images that ship inside scikit-image get seeded Gaussian noise whose std the trainer
is not told; noise2info trains on the noisy images alone, estimates the noise level, and the
demo reports it against the truth, with PSNR before and after.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from skimage import data as skdata
from skimage.color import rgb2gray
from skimage.metrics import peak_signal_noise_ratio

from . import io
from .config import make_config
from .data.noise import NoiseModel, add_noise, normalised_noise_std
from .plotting import plot_before_after, plot_curves
from .prediction import denoise
from .run import HISTORY, save_run
from .training import train

# Bundled with scikit-image (no download): grey, varied content, similar contrast. (After
# per-image normalisation the noise level of an image scales with 1 / its contrast; method.md
# assumes one level, see docs/notes/benchmarks.md for what a mix of contrasts does.)
DEMO_IMAGES = ("camera", "coins", "astronaut")
DEMO_NOISE_STD = 25 / 255  # on the [0, 1] scale; hidden from the trainer


def demo_images() -> dict[str, np.ndarray]:
    """The clean demo images as grey float64 in [0, 1] (colour ones converted to luminance)."""
    images = {name: getattr(skdata, name)() for name in DEMO_IMAGES}
    return {
        name: rgb2gray(im) if im.ndim == 3 else im.astype(np.float64) / 255.0 for name, im in images.items()
    }


def run_demo(
    out_dir: str | Path = "demo-out",
    *,
    steps: int = 500,
    seed: int = 0,
    device: str = "auto",
    progress: bool = True,
) -> dict:
    """Run the demo and write its outputs into ``out_dir``; return the summary dict."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clean = demo_images()
    noisy = dict(
        zip(
            clean,
            add_noise(list(clean.values()), NoiseModel("gaussian", std=DEMO_NOISE_STD), seed),
            strict=True,
        )
    )
    sigma_true = normalised_noise_std(list(clean.values()), list(noisy.values()))

    cfg = make_config(preset="cpu", steps=steps, batch_size=8, patch_size=64, seed=seed)
    result = train(
        [x[None].astype(np.float32) for x in noisy.values()], cfg, device=device, progress=progress
    )
    run_dir = save_run(result, out / "run")
    history = json.loads((run_dir / HISTORY).read_text())
    plot_curves(history, out / "curves.png", sigma_true=sigma_true)

    psnr_noisy, psnr_denoised, panels = [], [], []
    for name in clean:
        den = denoise(result, noisy[name][None])[0]
        psnr_noisy.append(peak_signal_noise_ratio(clean[name], noisy[name], data_range=1.0))
        psnr_denoised.append(peak_signal_noise_ratio(clean[name], np.clip(den, 0, 1), data_range=1.0))
        io.write_image(out / f"{name}_noisy.png", io.cast_to(np.clip(noisy[name], 0, 1) * 255, np.uint8))
        io.write_image(out / f"{name}_denoised.png", io.cast_to(np.clip(den, 0, 1) * 255, np.uint8))
        if not panels:
            panels = [
                ("clean", clean[name]),
                (f"noisy  {psnr_noisy[-1]:.2f} dB", noisy[name]),
                (f"noise2info  {psnr_denoised[-1]:.2f} dB", den),
            ]
    plot_before_after(panels, out / "before_after.png")

    summary = {
        "images": list(clean),
        "sigma_true": sigma_true,
        "sigma_loss": result.sigma_loss,
        "sigma": result.sigma,
        "sigma_readout": result.sigma_readout,
        "sigma_true_01": DEMO_NOISE_STD,
        "psnr_noisy": float(np.mean(psnr_noisy)),
        "psnr_denoised": float(np.mean(psnr_denoised)),
        "steps": steps,
        "init": result.plan.init,
        "train_seconds": result.seconds,
        "seconds": time.perf_counter() - t0,
        "out": str(out),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
