"""Why correlated noise reads low in the flattest blocks, and a reading calibrated on simulated
noise (issue 28, item 1): a lead, not the default.

``noise_level.plane_noise_variance`` keeps the blocks whose neighbours hold the least detail
energy. For independent noise the neighbours say nothing of a block's own noise; for
correlated noise they do, so quiet neighbours pick quiet noise. Part one reads smooth ramps
(no signal) through the camera pipelines of ``two_scales.RAMPS`` keeping the flattest 10 %
(the default), 50 % and all blocks, each channel corrected as the default corrects it
(``haar_share`` / ``coarse_share`` of its own correlation), against the truth; and the shares
the true noise keeps against those read. Part two calibrates each channel's reading on
simulated noise instead: a field of the channel's measured correlation
(``correlation.NoiseProbe`` of its ``covariance``, seeded) read the same way gives the factor
from reading to std, at the finest and the second scale; printed as ``two_scales.py`` prints.

    python benchmarks/selection_bias.py [--side 256]
"""

from __future__ import annotations

import argparse

import numpy as np
from channel_shares import KINDS
from noise_reduced import images
from two_scales import RAMPS, ramps, summary

from noise2info.correlation import (
    NoiseProbe,
    channel_correlations,
    coarse_share,
    difference_scale,
    haar_share,
)
from noise2info.noise_level import _haar, direct_noise_std, plane_noise_variance


def selection(references: list, noisy: list) -> None:
    """Part one: the corrected readings of each channel by the share of blocks kept."""
    own = channel_correlations(noisy)
    for flat in (0.1, 0.5, 1.0):
        fine, second = [], []
        for x, y in zip(noisy, references, strict=True):
            for c, found in enumerate(own):
                truth = (x[c] - y[c]).std()
                v1 = plane_noise_variance(x[c], flat=flat)[0]
                v2 = plane_noise_variance(_haar(x[c])[0], flat=flat)[0]
                fine.append(np.sqrt(v1) * difference_scale(found["lags"]) / truth)
                second.append(2 * np.sqrt(v2 / coarse_share(found["covariance"])) / truth)
        read = f"finest {np.mean(fine):.2f}, second {np.mean(second):.2f}"
        print(f"  blocks kept {flat:.0%}: {read}", flush=True)
    true1, true2 = [], []
    for x, y in zip(noisy, references, strict=True):
        for n in x - y:
            true1.append(_haar(n)[1].var() / n.var())
            true2.append(_haar(_haar(n)[0])[1].var() / n.var() / 0.25)
    read1 = [round(haar_share(c["lags"]), 3) for c in own]
    read2 = [round(coarse_share(c["covariance"]), 3) for c in own]
    print(
        f"  shares, true: finest {np.mean(true1):.3f}, second {np.mean(true2):.3f}; read: {read1}, {read2}",
        flush=True,
    )


def calibration(covariance: dict, side: int = 512, seed: int = 0) -> tuple[float, float]:
    """What a reading at the finest and the second scale is multiplied by to give the std of
    a field of noise with ``covariance`` (the flattest blocks kept as the default keeps them)."""
    z = NoiseProbe.of(covariance)(np.random.default_rng(seed).normal(size=(1, side, side)))[0]
    fine = np.sqrt(plane_noise_variance(z)[0])
    second = 2 * np.sqrt(plane_noise_variance(_haar(z)[0])[0])
    return float(z.std() / fine), float(z.std() / second)


def calibrated(references: list, noisy: list) -> None:
    """Part two: each channel's reading calibrated on simulated noise, over its truth."""
    own = channel_correlations(noisy)
    factors = [calibration(c["covariance"]) for c in own]
    rows = {"finest": [], "second": [], "both": [], "finest with the second as the default reads it": []}
    for entry, x, y in zip(direct_noise_std(noisy)["per_image"], noisy, references, strict=True):
        flat = x.reshape(len(x), -1)
        truth = (flat - y.reshape(len(x), -1)).std(axis=1) / flat.std(axis=1)
        for c, (f1, f2) in enumerate(factors):
            a, b = entry["sigma_channels"][c] * f1, entry["coarse_channels"][c] * f2
            default = entry["coarse_channels"][c] / np.sqrt(coarse_share(own[c]["covariance"]))
            for name, value in zip(rows, (a, b, np.sqrt(a * b), np.sqrt(a * default)), strict=True):
                rows[name].append(value / truth[c])
    print(f"  factors {[tuple(round(v, 2) for v in f) for f in factors]}", flush=True)
    for name, ratios in rows.items():
        print(f"  calibrated, {name}: {summary(ratios)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=256)
    args = parser.parse_args()
    print("Part one: smooth ramps, by the share of blocks kept", flush=True)
    for name, pipeline in RAMPS.items():
        print(name, flush=True)
        selection(*ramps(pipeline, args.side))
    print("Part two: calibrated on simulated noise", flush=True)
    sets = [(kind, images(kind, args.side)) for kind in KINDS]
    sets += [(f"{name}, smooth ramps", ramps(pipeline, args.side)) for name, pipeline in RAMPS.items()]
    for name, (references, noisy) in sets:
        print(name, flush=True)
        calibrated(references, noisy)


if __name__ == "__main__":
    main()
