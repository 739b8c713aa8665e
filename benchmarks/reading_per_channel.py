"""Each channel's noise std reading against the truth on the real-sim test bed's kinds (issue
28, item 1): the reader as it is (``noise_level.plane_noise_variance``: blocks judged flat by the
ring of 2 x 2 blocks around them) against blocks judged by a ring 2 or 3 blocks away, each
divided by the share of the variance the diagonal Haar detail keeps under the images' measured
correlation (one share for all channels, as ``noise_level.image_noise_std`` reads it). A lead,
not the default: correlated noise ties the nearest ring's energy to a block's own, so picking
blocks with quiet neighbours picks quiet noise.

    python benchmarks/reading_per_channel.py [KIND ...]
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


def main() -> None:
    for kind in sys.argv[1:] or ["camera", "consumer-jpeg", "sensor"]:
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
