"""From random weights or from the shipped starting point: PSNR and noise readout per setting.

    python benchmarks/pretrained_start.py steps=400,init=random steps=400,init=pretrained \
        steps=400,init=pretrained,method=noise2self steps=400,init=random,method=supervised

The five-image test set (``five_images.py``), each image normalised on its own. Each argument
is a comma-separated list of flat settings (``make_config`` names) on top of the CLI's
defaults (cpu preset, batch 16, seed 0); ``method=supervised`` trains on the clean images.
The first row is the shipped network alone (no fine-tuning). Prints a markdown table: PSNR
per image and mean, the noise readout against the true normalised noise std, the training
time.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from five_images import IMAGES, five_images
from settings_spec import parse_settings
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.noise import normalised_noise_std
from noise2info.data.normalisation import normalise
from noise2info.models import build_model
from noise2info.models.pretrained import load_pretrained


def _psnr(pairs, model) -> list[float]:
    return [
        peak_signal_noise_ratio(y, np.clip(noise2info.denoise(model, x[None])[0], 0, 1), data_range=1)
        for y, x in pairs
    ]


def _row(label: str, psnr: list[float], readout: str = "", seconds: str = "") -> str:
    return (
        f"| {label} | {' | '.join(f'{v:.2f}' for v in psnr)} | {np.mean(psnr):.2f} | {readout} | {seconds} |"
    )


def main() -> None:
    specs = sys.argv[1:] or ["steps=400,init=random", "steps=400,init=pretrained"]
    clean, noisy = five_images()
    pairs = list(zip(clean, noisy, strict=True))
    images = [x[None].astype(np.float32) for x in noisy]
    targets = [y[None].astype(np.float32) for y in clean]
    truth = normalised_noise_std(clean, noisy)
    print(f"| settings | {' | '.join(IMAGES)} | mean | readout (truth {truth:.4f}) | train s |")
    print("|---|" + "---|" * (len(IMAGES) + 3))
    print(_row("noisy input", [peak_signal_noise_ratio(y, x, data_range=1) for y, x in pairs]))

    shipped = noise2info.make_config()
    model = build_model(shipped.model)
    load_pretrained(model, shipped.model)
    print(_row("shipped network, not fine-tuned", _psnr(pairs, model.eval())), flush=True)
    # The same weights with batch-norm statistics of these images (train-mode passes, no
    # gradient): what fine-tuning changes besides the weights.
    model.train()
    with torch.no_grad():
        for _ in range(20):
            for x in images:
                m = shipped.model.multiple
                normed, _, _ = normalise(x[:, : x.shape[1] // m * m, : x.shape[2] // m * m])
                model(torch.from_numpy(normed)[None])
    print(_row("shipped weights, batch-norm statistics of these images", _psnr(pairs, model.eval())))

    for spec in specs:
        settings = parse_settings(spec)
        cfg = noise2info.make_config(**settings)
        clean_arg = targets if cfg.method.name == "supervised" else None
        t0 = time.perf_counter()
        r = noise2info.train(images, cfg, clean=clean_arg, progress=False)
        seconds = time.perf_counter() - t0
        readout = f"{r.sigma:.4f} ({r.sigma / truth - 1:+.1%})" if r.sigma else ""
        print(_row(spec, _psnr(pairs, r), readout, f"{seconds:.0f}"), flush=True)


if __name__ == "__main__":
    main()
