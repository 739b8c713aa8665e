"""One kind of the real-sim test bed trained with one pixel-shuffle stride (and optionally
masked blocks of a given side, ``masking.block``), as the bench's
`cpu` budget trains it (cpu preset, 400 steps, batch 16, patch 64, seed 0, vst auto): the
mean PSNR of the five images and, per image, the expected gain estimated without a clean
image (`denoise(return_gain=True)`) against the true one.

    python benchmarks/pd_stride.py camera 2          # from the repository root
    python benchmarks/pd_stride.py camera 1 3        # no shuffle, 3x3 masked blocks
"""

import json
import sys
import time

import numpy as np

from noise2info import make_config, train
from noise2info.bench.metrics import mean_scores
from noise2info.data.camera import real_sim_images
from noise2info.prediction import denoise


def train_kind(kind: str, stride: int, block: int = 1):
    """One kind trained as the bench's `cpu` budget trains it: the result and the noisy images."""
    _, _, noisy = real_sim_images(kind, side=256, seed=0)
    images = [x.astype(np.float32) for x in noisy]
    cfg = make_config(
        preset="cpu", method="noise2info", vst="auto", init="random", pd_stride=stride, mask_block=block,
        steps=400, batch_size=16, patch_size=64, seed=0, log_every=2, channels=images[0].shape[0],
    )  # fmt: skip
    return train(images, cfg, progress=False)


def main(kind: str, stride: int, block: int = 1) -> dict:
    _, refs, noisy = real_sim_images(kind, side=256, seed=0)
    t = time.time()
    res = train_kind(kind, stride, block)
    preds, gains = [], []
    for x in noisy:
        p, g = denoise(res, x, return_gain=True)
        preds.append(p)
        gains.append(g["gain_db"])
    # The network alone (no posterior step), to see what the step adds or costs.
    plain = [denoise(res, x, posterior=False) for x in noisy]
    true = [
        10 * np.log10(np.mean((x - y) ** 2) / np.mean((p - y) ** 2))
        for y, x, p in zip(refs, noisy, preds, strict=True)
    ]
    return {
        "kind": kind,
        "stride": stride,
        "block": block,
        "sigma_loss": res.sigma_loss,
        "sigma": res.sigma_readout,
        "psnr": mean_scores(refs, preds, peak=1.0)[0],
        "psnr_network": mean_scores(refs, plain, peak=1.0)[0],
        "noisy": mean_scores(refs, noisy, clip=False, peak=1.0)[0],
        "est": gains,
        "true": [round(v, 2) for v in true],
        "refine": res.history.readings.get("refine"),
        "s": time.time() - t,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], *map(int, sys.argv[2:]))))
