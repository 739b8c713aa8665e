"""Global instead of per-image normalisation: does one noise level in normalised units help?

    python benchmarks/global_normalisation.py

The five images of benchmarks/method_defaults.py (Gaussian noise 25/255, seed 0); each image
keeps its own mean but all are divided by one std (the rms of the per-image stds), given to
``train`` as ``stats``; the prediction normalises the same way. 400 steps of batch 8, cpu
preset, donut masking, no second stage. Prints PSNR per image (data range 1) and the
estimates against the true noise std in these units.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from five_images import five_images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data import channel_stats


def main() -> None:
    clean, noisy = five_images()
    noisy = [x[None].astype(np.float32) for x in noisy]
    stats = [channel_stats(x) for x in noisy]
    scale = np.sqrt(np.mean([std**2 for _, std in stats], axis=0))
    shared = [(mean, scale.astype(std.dtype)) for mean, std in stats]
    print(f"one std {float(scale[0]):.4f}; true normalised noise std {25 / 255 / float(scale[0]):.4f}")
    cfg = noise2info.make_config(preset="cpu", steps=400, batch_size=8, seed=0, refine="none")
    t0 = time.perf_counter()
    r = noise2info.train(noisy, cfg, progress=False, stats=shared)
    seconds = time.perf_counter() - t0
    r.model.eval()
    psnr = []
    with torch.no_grad():
        for y, x, (mean, std) in zip(clean, noisy, shared, strict=True):
            h, w = x.shape[1:]
            pad = ((0, 0), (0, -h % 4), (0, -w % 4))  # a multiple of 2**depth
            xn = np.pad((x - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1), pad, mode="reflect")
            out = r.model(torch.from_numpy(xn[None].astype(np.float32)))[0].numpy()[:, :h, :w]
            out = out * std.reshape(-1, 1, 1) + mean.reshape(-1, 1, 1)
            psnr.append(peak_signal_noise_ratio(y, np.clip(out[0], 0, 1), data_range=1))
    print(
        f"PSNR {np.round(psnr, 2).tolist()} mean {np.mean(psnr):.2f}; sigma_loss {r.sigma_loss:.4f}, "
        f"readout {r.sigma_readout:.4f}; {seconds:.0f} s"
    )


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
