"""The posterior step: how much weighing the prediction against the noisy pixel gains, and
with which prediction (issue 10, item 2: use the estimate better).

    python benchmarks/posterior_step.py --steps 400

Trains Noise2Info-D (the paper's Algorithm 2, donut masking) and noise2self-D (blind spot)
for ``--steps`` steps on the five grey images of benchmarks/five_images.py (Gaussian noise
25/255, seed 0; the CLI's defaults otherwise: cpu preset, batch 16, random weights), then
predicts each trained network several ways:

- ``plain``: the network's output F(X), as the paper predicts;
- ``posterior``: noise2info.posterior.posterior_mean of F(X) and X with the noise std
  measured on each image (the default pipeline's prediction), and the same with the true
  noise std, and with other windows (box 9 x 9, Gaussian widths 4 and 8);
- ``J-invariant``: each pixel predicted with itself masked (9 passes, a 3 x 3 grid of donut
  masks), the textbook blind-spot prior of the posterior, with and without the step;
- ``+ TTA``: the mean of the 8 rotations / flips first.

Prints PSNR per image (data range 1) and the mean.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from five_images import IMAGES, NOISE_STD, five_images
from scipy.ndimage import uniform_filter
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.patches import dihedral, undo_dihedral
from noise2info.masking import donut_replace
from noise2info.models import inference_model
from noise2info.noise_level import direct_noise_std
from noise2info.posterior import posterior_mean
from noise2info.training import Trainer


@torch.inference_mode()
def network(net, x: np.ndarray, grid: int = 0) -> np.ndarray:
    """F on a normalised (1, H, W) image; with ``grid`` each pixel from the pass where it and
    every ``grid``-th pixel are donut-masked."""
    h, w = x.shape[1:]
    padded = np.pad(x, ((0, 0), (0, -h % 4), (0, -w % 4)), mode="symmetric")
    t = torch.from_numpy(padded.astype(np.float32))[None]
    if not grid:
        return net(t)[0, :, :h, :w].double().numpy()
    rows, cols = torch.meshgrid(torch.arange(t.shape[2]), torch.arange(t.shape[3]), indexing="ij")
    out = torch.zeros_like(t)
    for i in range(grid):
        for j in range(grid):
            mask = ((rows % grid == i) & (cols % grid == j))[None, None]
            out[mask] = net(donut_replace(t, mask))[mask]
    return out[0, :, :h, :w].double().numpy()


def with_tta(net, x: np.ndarray) -> np.ndarray:
    acc = 0.0
    for k, flip in [(k, f) for f in (False, True) for k in range(4)]:
        acc = acc + undo_dihedral(network(net, np.ascontiguousarray(dihedral(x, k, flip))), k, flip)
    return acc / 8


def box_posterior(x, mu, sigma, size=9):
    r = x - mu
    total = uniform_filter(r[0] ** 2, size, mode="mirror")[None]
    return mu + np.clip(1 - sigma**2 / np.maximum(total, 1e-12), 0, 1) * r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--methods", default="noise2info-D,noise2self-D")
    args = ap.parse_args()
    clean, noisy = five_images()
    X = [x[None].astype(np.float32) for x in noisy]
    print(f"| trained | prediction | {' | '.join(IMAGES)} | mean |")
    print("|---|---|" + "---|" * (len(IMAGES) + 1))
    for name in args.methods.split(","):
        settings = (
            {"method": "noise2info", "refine": "none"} if name == "noise2info-D" else {"method": "noise2self"}
        )
        cfg = noise2info.make_config(**settings, steps=args.steps, seed=0, init="random", vst="none")
        t = Trainer(X, cfg, device="cpu")
        t0 = time.perf_counter()
        while t.steps_done < args.steps:
            t.step()
            if t.schedule is not None and t.schedule.is_round(t.steps_done):
                t.sigma_round()
        seconds = time.perf_counter() - t0
        net = inference_model(t.model.eval())
        rows: dict[str, list[float]] = {}
        for y, z in zip(clean, noisy, strict=True):
            mean, std = z.mean(), z.std()
            x = ((z - mean) / std)[None]
            sigma = direct_noise_std([x])["sigma"]
            true = NOISE_STD / std
            f, f_tta, j = network(net, x), with_tta(net, x), network(net, x, 3)
            candidates = {
                "plain": f,
                "posterior (the default)": posterior_mean(x, f, sigma),
                "posterior, true sigma": posterior_mean(x, f, true),
                "posterior, box 9 x 9": box_posterior(x, f, sigma),
                "posterior, width 4": posterior_mean(x, f, sigma, width=4.0),
                "posterior, width 8": posterior_mean(x, f, sigma, width=8.0),
                "plain + TTA": f_tta,
                "posterior + TTA": posterior_mean(x, f_tta, sigma),
                "J-invariant": j,
                "J-invariant, posterior": posterior_mean(x, j, sigma),
            }
            for key, pred in candidates.items():
                out = np.clip(pred[0] * std + mean, 0, 1)
                rows.setdefault(key, []).append(peak_signal_noise_ratio(y, out, data_range=1))
        for key, values in rows.items():
            cells = " | ".join(f"{v:.2f}" for v in values)
            print(f"| {name} ({seconds:.0f} s) | {key} | {cells} | {np.mean(values):.2f} |", flush=True)


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
