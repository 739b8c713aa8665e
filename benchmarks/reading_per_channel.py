"""Each channel's noise std reading against the truth on the real-sim test bed's kinds (issue
28, item 1): the reader as it is (``noise_level.plane_noise_variance``: blocks judged flat by the
ring of 2 x 2 blocks around them) against blocks judged by a ring 2 or 3 blocks away, each
divided by the share of the variance the diagonal Haar detail keeps under the images' measured
correlation (one share for all channels, as ``noise_level.image_noise_std`` reads it). A lead,
not the default: correlated noise ties the nearest ring's energy to a block's own, so picking
blocks with quiet neighbours picks quiet noise. ``--shares`` adds each channel's own share
(from its unbent correlation, :func:`noise2info.correlation.unbent_correlation`) against the
share the true noise (noisy minus reference) keeps, and a summary per kind: each image's
reading (rms over its channels) over its truth, mean, range and the share within 15 %.

    python benchmarks/reading_per_channel.py [KIND ...] [--shares]
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.ndimage import uniform_filter

from noise2info.correlation import haar_share, noise_correlation
from noise2info.data.camera import real_sim_images
from noise2info.noise_level import _haar, plane_noise_variance


def ring(x: np.ndarray, r: int) -> np.ndarray:
    """Sum over the square ring of blocks at distance ``r`` around each block."""
    outer = uniform_filter(x, 2 * r + 1, mode="mirror") * (2 * r + 1) ** 2
    inner = uniform_filter(x, 2 * r - 1, mode="mirror") * (2 * r - 1) ** 2
    return outer - inner


def far_variance(plane: np.ndarray, r: int, bins: int = 8, flat: float = 0.1) -> float:
    """``plane_noise_variance`` with blocks judged (and binned by level) by the ring at ``r``."""
    mean, detail, edge = _haar(plane)
    energy = ring(edge + detail**2, r)[r:-r, r:-r].ravel()
    level = ring(mean, r)[r:-r, r:-r].ravel()
    detail = detail[r:-r, r:-r].ravel()
    which = np.searchsorted(np.quantile(level, np.linspace(0, 1, bins + 1)[1:-1]), level, side="right")
    found = []
    for i in range(bins):
        e = energy[which == i]
        found.append(np.mean(detail[which == i][e <= np.quantile(e, flat)] ** 2))
    return float(np.mean(found))


def unbent_share(covariance: dict | None) -> float:
    """:func:`haar_share` of an unbent correlation (``noise_correlation``'s ``covariance``)."""
    return haar_share(covariance) if covariance else 1.0


def true_share(noise: np.ndarray) -> float:
    """The share of one plane's noise variance its diagonal Haar detail keeps."""
    return float(np.mean(_haar(noise)[1] ** 2) / np.mean(noise**2))


def shares(kind: str) -> None:
    """Per channel: the share read (pooled, the channel's own) against the true noise's, and
    per image the readings over the truth."""
    _, references, noisy = real_sim_images(kind, side=256)
    noisy = [np.asarray(x, np.float64) for x in noisy]
    reading = noise_correlation(noisy)
    correlated = reading["correlated"]
    channels = range(len(noisy[0]))
    pooled = unbent_share(reading["covariance"]) if correlated else 1.0
    own = [
        unbent_share(noise_correlation([x[c : c + 1] for x in noisy])["covariance"]) if correlated else 1.0
        for c in channels
    ]
    pairs = list(zip(noisy, references, strict=True))
    truth = [np.mean([true_share(x[c] - y[c]) for x, y in pairs]) for c in channels]
    print(f"{kind}: shares pooled {pooled:.3f}, each channel's {np.round(own, 3)}, true {np.round(truth, 3)}")
    ratios: dict[str, list] = {"now": [], "ring 2, pooled share": [], "ring 2, each channel's share": []}
    bent = haar_share(reading["lags"]) if correlated else 1.0
    for x, y in zip(noisy, references, strict=True):
        true = np.sqrt(np.mean((x - y) ** 2))
        near = np.array([plane_noise_variance(p)[0] for p in x])
        far = np.array([far_variance(p, 2) for p in x])
        for name, v in zip(ratios, (near / bent, far / pooled, far / np.array(own)), strict=True):
            ratios[name].append(np.sqrt(np.mean(v)) / true)
    for name, r in ratios.items():
        r = np.array(r)
        within = np.mean(abs(r - 1) <= 0.15)
        print(f"  {name}: {r.mean():.2f} ({r.min():.2f}-{r.max():.2f}), {within:.0%} within 15 %")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--shares" in sys.argv:
        for kind in args or ["camera", "consumer-jpeg", "photo-jpeg", "sensor"]:
            shares(kind)
        return
    for kind in args or ["camera", "consumer-jpeg", "sensor"]:
        _, references, noisy = real_sim_images(kind, side=256)
        noisy = [np.asarray(x, np.float64) for x in noisy]
        reading = noise_correlation(noisy)
        share = haar_share(reading["lags"]) if reading["correlated"] else 1.0
        for x, y in zip(noisy, references, strict=True):
            true = np.sqrt(((x - y) ** 2).reshape(len(x), -1).mean(axis=1))
            rows = {"now": [plane_noise_variance(p)[0] for p in x]}
            rows |= {f"ring {r}": [far_variance(p, r) for p in x] for r in (2, 3)}
            ratios = {k: np.round(np.sqrt(np.array(v) / share) / true, 2).tolist() for k, v in rows.items()}
            print(kind, ratios)


if __name__ == "__main__":
    main()
