"""The noise-correlation readout on i.i.d. and correlated noise, and what pixel shuffle leaves.

For each kind of the real-sim test bed (noise2info.data.camera.TEST_BED) and for i.i.d.
Gaussian noise on scikit-image's grey images: the readout of noise2info.correlation (from the
noisy images alone) and whether it switches the pixel shuffle on; then the true noise's
correlation (noisy - reference) between pixels 1, 2 and 3 apart, i.e. between neighbours of
the sub-images of PD strides 1, 2 and 3.

    python benchmarks/noise_correlation.py            # from the repository root
"""

from __future__ import annotations

import numpy as np
from skimage import data

from noise2info.correlation import CORRELATED, noise_correlation
from noise2info.data.camera import TEST_BED, real_sim_images


def true_correlation(noise: list[np.ndarray], lag: int) -> float:
    """The larger of the row and column correlations of the noise at ``lag`` pixels."""
    out = []
    for dy, dx in ((0, lag), (lag, 0)):
        a, b = [], []
        for image in noise:
            for plane in image:
                plane = plane - plane.mean()
                h, w = plane.shape
                a.append(plane[: h - dy, : w - dx].ravel())
                b.append(plane[dy:, dx:].ravel())
        out.append(np.corrcoef(np.concatenate(a), np.concatenate(b))[0, 1])
    return float(max(out, key=abs))


def main() -> None:
    print(f"threshold |readout| >= {CORRELATED}")
    print("| data | side | readout (max over lags) | switches on | true corr. at 1 / 2 / 3 pixels |")
    print("|---|---|---|---|---|")
    grey = [
        np.asarray(getattr(data, n)(), np.float64)[None] / 255
        for n in ("camera", "coins", "moon", "brick", "grass")
    ]
    for side in (256, 512):
        for kind in TEST_BED:
            _, refs, noisy = real_sim_images(kind, side=side)
            found = noise_correlation(noisy)
            noise = [x - r for r, x in zip(refs, noisy, strict=True)]
            lags = " / ".join(f"{true_correlation(noise, s):+.3f}" for s in (1, 2, 3))
            print(f"| {kind} | {side} | {found['max']:+.3f} | {found['correlated']} | {lags} |")
        for std in (2, 5, 15, 50):
            rng = np.random.default_rng(std)
            crops = [im[:, :side, :side] for im in grey]
            noise = [rng.normal(0, std / 255, c.shape) for c in crops]
            found = noise_correlation([c + n for c, n in zip(crops, noise, strict=True)])
            lags = " / ".join(f"{true_correlation(noise, s):+.3f}" for s in (1, 2, 3))
            cells = [f"i.i.d. Gaussian {std}/255", side, f"{found['max']:+.3f}", found["correlated"], lags]
            print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
