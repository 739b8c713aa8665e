"""Each colour channel's noise std corrected for its own correlation, against one correction
pooled over the channels (issue 28, item 1).

The noise std is read from the finest-scale differences and divided by the share of the noise
variance they keep under the measured correlation (:func:`noise2info.correlation.haar_share`).
Demosaicing leaves green's noise finer than red's and blue's, so since 2026-12-08 each channel
is corrected by its own share (``plan.noise_lags_by_channel``), and since 2026-12-08 (later)
each channel's std is the geometric mean of that reading and the same at the second scale
(``plan.noise_covariance_by_channel``). Each kind (the real-sim test bed's and the variants of
``noise_reduced.py``) is trained on with the default (``--steps``, seed 0) and denoised three
ways: as planned, at the finest scale alone (the covariance fields set to None, as before; the
check's probe then carries the nearest lags, so its expected gain differs from before), and
with each channel's true noise std (noisy minus reference: an oracle). The record of the
pooled correction against each channel's own is benchmarks/results/channel-shares/. Printed:
each channel's reading over its truth (geometric mean, spread of the log, range, share within
15 %), each image's gain over the noisy one (mean and worst, dB, peak 1) and the check's
expected gain against the true one.

    python benchmarks/channel_shares.py [--kind camera camera-matrix ...] [--steps 400]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from noise_reduced import images
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.correlation import haar_share
from noise2info.prediction import image_sigmas

KINDS = [
    "camera",
    "camera-matrix",
    "camera-luma",
    "consumer-jpeg",
    "consumer-png",
    "camera-nr",
    "camera-nr-fine",
]


def true_stds(noisy: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each channel's noise std (noisy minus reference) over the channel's std: normalised units."""
    flat = noisy.reshape(len(noisy), -1)
    return (flat - reference.reshape(len(noisy), -1)).std(axis=1) / flat.std(axis=1)


def summary(ratios: list) -> str:
    r = np.asarray(ratios)
    within = int(np.sum(np.abs(r - 1) <= 0.15))
    return (
        f"{np.exp(np.log(r).mean()):.2f} (log spread {np.log(r).std():.2f}, {r.min():.2f}-{r.max():.2f}), "
        f"{within} of {r.size} within 15 %"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="+", default=KINDS)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    found = {}
    for kind in args.kind:
        references, noisy = images(kind, args.side)
        config = noise2info.make_config(steps=args.steps, seed=0)
        config = config.model_copy(update={"model": config.model.model_copy(update={"channels": 3})})
        run = noise2info.train(noisy, config, progress=False)
        plan = run.plan
        shares = [round(haar_share(lags), 3) for lags in plan.noise_lags_by_channel or []]
        print(f"{kind}: pooled share {haar_share(plan.noise_lags):.3f}, each channel's {shares}", flush=True)
        finest = {"noise_covariance": None, "noise_covariance_by_channel": None}
        variants = {"two scales": plan, "finest scale": plan.model_copy(update=finest)}
        rows = {name: {"ratios": [], "gain": [], "expected": []} for name in [*variants, "true std"]}
        for x, y in zip(noisy, references, strict=True):
            truth = true_stds(x, y)
            std = x.reshape(len(x), -1).std(axis=1)
            before = peak_signal_noise_ratio(y, x, data_range=1)
            for name, row in rows.items():
                options = {"plan": variants.get(name, plan)}
                if name == "true std":
                    options["sigma"] = truth.tolist()
                else:
                    row["ratios"] += list(np.asarray(image_sigmas(x, std, options["plan"])) / truth)
                out, gain = noise2info.denoise(run, x, return_gain=True, **options)
                row["gain"].append(peak_signal_noise_ratio(y, np.clip(out, 0, 1), data_range=1) - before)
                row["expected"].append(gain["gain_db"])
        for name, row in rows.items():
            g, e = np.asarray(row["gain"]), row["expected"]
            line = f"  {name}: gain {g.mean():+.2f} (worst {g.min():+.2f}) {np.round(g, 2).tolist()}"
            if None not in e:
                err = np.asarray(e) - g
                line += f"; expected - true {err.mean():+.2f} (largest {err[np.argmax(np.abs(err))]:+.2f})"
            if row["ratios"]:
                line += f"; read / true {summary(row['ratios'])}"
            print(line, flush=True)
        found[kind] = {"shares": shares, "pooled_share": haar_share(plan.noise_lags), **rows}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(found, f, indent=1, default=float)


if __name__ == "__main__":
    main()
