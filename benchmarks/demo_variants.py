"""The demo's data with other settings: which defaults make the demo best?

    python benchmarks/demo_variants.py steps=500 steps=500,refine=none steps=500,lr=0.001

Each argument is a comma-separated list of flat settings (``make_config`` names) on top of
the demo's (cpu preset, batch 8, patch 64, seed 0). The demo's images and noise
(``noise2info.demo``); prints PSNR per image without and with test-time augmentation, the
bound and the readout against the true normalised noise std, and the training time.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from settings_spec import parse_settings
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.noise import NoiseModel, add_noise, normalised_noise_std
from noise2info.demo import DEMO_NOISE_STD, demo_images


def main() -> None:
    clean = list(demo_images().values())
    noisy = add_noise(clean, NoiseModel("gaussian", std=DEMO_NOISE_STD), 0)
    truth = normalised_noise_std(clean, noisy)
    base = np.mean([peak_signal_noise_ratio(y, x, data_range=1) for y, x in zip(clean, noisy, strict=True)])
    for spec in sys.argv[1:]:
        settings = parse_settings(spec)
        demo = {"preset": "cpu", "batch_size": 8, "patch_size": 64, "seed": 0}
        cfg = noise2info.make_config(**{**demo, **settings})
        t0 = time.perf_counter()
        r = noise2info.train([x[None].astype(np.float32) for x in noisy], cfg, progress=False)
        seconds = time.perf_counter() - t0
        out = []
        for tta in (False, True):
            den = [np.clip(noise2info.denoise(r, x[None], tta=tta)[0], 0, 1) for x in noisy]
            psnr = [peak_signal_noise_ratio(y, d, data_range=1) for y, d in zip(clean, den, strict=True)]
            out.append(f"{'tta' if tta else 'plain'} {np.round(psnr, 2)} {np.mean(psnr):.2f}")
        print(
            f"{spec}: noisy {base:.2f} | {' | '.join(out)} | "
            f"bound {r.sigma_loss:.4f} ({r.sigma_loss / truth - 1:+.1%}) "
            f"readout {r.sigma_readout:.4f} ({r.sigma_readout / truth - 1:+.1%}) truth {truth:.4f} | "
            f"train {seconds:.0f}s",
            flush=True,
        )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
