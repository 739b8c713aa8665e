"""Each channel's noise std read at the finest scale, at the second, and at both (issue 28,
item 1), against the truth (noisy minus reference), without training.

The finest scale (the diagonal Haar detail of 2 x 2 blocks, ``noise_level.plane_noise_variance``)
keeps a tenth of demosaiced or noise-reduced camera noise, so its reading is divided by a small
share (``correlation.haar_share``) and what the share gets wrong is multiplied. The second scale
(the same detail of the 2 x 2 means, ``direct_noise_std``'s ``coarse_channels``, corrected by
``correlation.coarse_share`` from the correlation read unbent out to 3 pixels) keeps more of the
noise, and more of the signal too. Since 2026-12-08 the default takes the geometric mean of the
two where the noise reads correlated and not JPEG'd (``noise_level.image_noise_std``).

Printed for each kind of the test bed (``noise_reduced.images``: the real-sim kinds and the
camera variants) and for demosaiced or noise-reduced noise on smooth ramps (no texture: the
correction alone): each channel's reading over its truth, geometric mean, spread of the log,
range and share within 15 %, and the same of each image's rms over its channels. Each channel's
correlation is read from the kind's five images as the correlation stage reads it
(``correlation.channel_correlations``). ``--polyu`` adds
polyu-dev's 56 JPEG'd photos (read from ../shared, each photo's rms over channels), where the
default scales the finest reading to the bound instead.

    python benchmarks/two_scales.py [--kind camera ...] [--polyu] [--side 256]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from channel_shares import KINDS
from noise_reduced import images

from noise2info.correlation import channel_correlations, coarse_scales, noise_correlation
from noise2info.data import camera
from noise2info.noise_level import direct_noise_std, image_noise_std

RAMPS = {
    "camera": camera.TEST_BED["camera"][0],
    "consumer-png": replace(camera.TEST_BED["consumer-jpeg"][0], jpeg=None),
    "camera-nr": replace(camera.TEST_BED["camera"][0], luma_nr=0.8, chroma_nr=6.0),
}


def summary(ratios) -> str:
    r = np.asarray(ratios, np.float64)
    within = int(np.sum(np.abs(r - 1) <= 0.15))
    return (
        f"{np.exp(np.log(r).mean()):.2f} (log spread {np.log(r).std():.2f}, {r.min():.2f}-{r.max():.2f}), "
        f"{within} of {r.size} within 15 %"
    )


def readings(noisy: list, references: list, per_photo: bool = False) -> dict[str, list[float]]:
    """Each channel's (or each image's rms) reading over its truth: finest, second, both."""
    pooled, own = noise_correlation(noisy), channel_correlations(noisy)
    lags, covariances = [c["lags"] for c in own], [c["covariance"] for c in own]
    found = direct_noise_std(noisy)["per_image"]
    rows = {"finest": [], "second": [], "both": []}
    for entry, x, y in zip(found, noisy, references, strict=True):
        flat = x.reshape(len(x), -1)
        std = flat.std(axis=1)
        truth = (flat - y.reshape(len(x), -1)).std(axis=1) / std
        finest = np.asarray(image_noise_std(entry, std, lags=pooled["lags"], lags_by_channel=lags))
        factors = coarse_scales(pooled["covariance"], covariances, len(x))
        second = np.asarray(entry["coarse_channels"]) * factors
        both = np.asarray(
            image_noise_std(entry, std, None, pooled["lags"], None, lags, pooled["covariance"], covariances)
        )
        for name, value in zip(rows, (finest, second, both), strict=True):
            if per_photo:
                rows[name].append(float(np.sqrt(np.mean(value**2)) / np.sqrt(np.mean(truth**2))))
            else:
                rows[name] += list(value / truth)
    return rows


def ramps(pipeline, side: int) -> tuple[list, list]:
    """Five smooth colour ramps through ``pipeline``: references and noisy images."""
    y, x = np.mgrid[0:side, 0:side] / side
    pairs = [
        pipeline.apply(
            np.stack([0.2 + 0.03 * k + 0.3 * x * (c + 1) / 3 + 0.1 * y for c in range(3)]),
            np.random.default_rng(k),
        )
        for k in range(5)
    ]
    return [np.float32(r) for r, _ in pairs], [np.float32(n) for _, n in pairs]


def polyu(folder: Path) -> tuple[list, list]:
    """polyu-dev's noisy photos and references as (3, H, W) floats in [0, 1]."""
    from polyu import load

    _, noisy, clean = load(folder)
    return [np.float32(c) / 255 for c in clean], [np.float32(n) / 255 for n in noisy]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="+", default=KINDS)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--polyu", action="store_true")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/polyu-dev"))
    args = parser.parse_args()
    sets = [(kind, images(kind, args.side)) for kind in args.kind]
    sets += [(f"{name}, smooth ramps", ramps(pipeline, args.side)) for name, pipeline in RAMPS.items()]
    for name, (references, noisy) in sets:
        rows = readings(noisy, references)
        images_rms = readings(noisy, references, per_photo=True)
        print(name, flush=True)
        for row, ratios in rows.items():
            print(
                f"  {row}: {summary(ratios)}; each image (rms over channels): {summary(images_rms[row])}",
                flush=True,
            )
    if args.polyu:
        references, noisy = polyu(args.data)
        print("polyu-dev, each photo (not the default there: JPEG'd)", flush=True)
        for row, ratios in readings(noisy, references, per_photo=True).items():
            print(f"  {row}: {summary(ratios)}", flush=True)


if __name__ == "__main__":
    main()
