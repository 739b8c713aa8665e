"""Each photo's noise std read from the photo alone, against the truth, on real camera photos.

For the 56 photos of ../shared/data/polyu-dev: the true std of each channel (noisy minus the
multi-frame reference) against readers that see the noisy photo only: the Haar reading
(:func:`noise2info.noise_level.plane_noise_variance`) on the photo, on its pixel-shuffled
sub-images (every 2nd, 3rd, 4th pixel: past the noise's correlation length) and on 2x2-binned
pixels, with the flattest 10 % or 50 % of blocks; the std of what each shipped start removes
(the plane normalised and denoised zero-shot: a reader that sees busy regions too); and, with
``--run`` (a run trained on the photos, e.g. by benchmarks/polyu_posterior.py), Algorithm 1's
sigma* on each photo alone. A reader that tracks the truth photo by photo has a small spread
of log(read / true): one scale for all photos then brings every reading within 15 % (the
share within 15 % after the best such scale is printed). Also: the truth's share in the
flattest half of each photo and in its edges (the 10 % of pixels with the largest gradient of
the reference).

    python benchmarks/polyu_readings.py [--run RUN]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from polyu import load, true_sigma
from scipy.ndimage import gaussian_filter, sobel

from noise2info.noise_level import plane_noise_variance


def haar(plane: np.ndarray, flat: float) -> float:
    return float(np.sqrt(plane_noise_variance(plane, flat=flat)[0]))


def shuffled(plane: np.ndarray, stride: int, flat: float) -> float:
    parts = [plane[a::stride, b::stride] for a in range(stride) for b in range(stride)]
    return float(np.sqrt(np.mean([plane_noise_variance(p, flat=flat)[0] for p in parts])))


def binned(plane: np.ndarray, size: int, flat: float) -> float:
    h, w = (n // size * size for n in plane.shape)
    blocks = plane[:h, :w].reshape(h // size, size, w // size, size).mean(axis=(1, 3))
    return size * haar(blocks, flat)  # white noise averaged over size^2 pixels: std / size


def start_residual(noise: str):
    """The std of what the shipped start trained on ``noise`` removes from a plane."""

    def read(plane: np.ndarray) -> float:
        from noise2info import make_config
        from noise2info.models.pretrained import shipped_start
        from noise2info.prediction.denoise import predict

        mean, std = plane.mean(), plane.std()
        z = ((plane - mean) / std)[None].astype(np.float32)
        out = predict(shipped_start(make_config().model, noise), z)
        return float((z - out).std() * std)

    return read


READERS = {
    "haar, flat 10 %": lambda p: haar(p, 0.1),
    "haar, flat 50 %": lambda p: haar(p, 0.5),
    "shuffled 2, flat 10 %": lambda p: shuffled(p, 2, 0.1),
    "shuffled 3, flat 10 %": lambda p: shuffled(p, 3, 0.1),
    "shuffled 3, flat 50 %": lambda p: shuffled(p, 3, 0.5),
    "shuffled 4, flat 10 %": lambda p: shuffled(p, 4, 0.1),
    "binned 2, flat 50 %": lambda p: binned(p, 2, 0.5),
    "residual of the Gaussian start": start_residual("gaussian"),
    "residual of the camera start": start_residual("camera"),
}


def sigma_stars(run_dir: Path, noisy: list) -> list[float]:
    """Algorithm 1 (:func:`noise2info.sigma.sigma_round`) on each photo alone: 64 x 64 tiles,
    normalised as in training, two mask draws each, the run's masking."""
    import torch

    import noise2info
    from noise2info.config.schema import MaskingConfig
    from noise2info.masking import Masker
    from noise2info.objectives.base import make_batch
    from noise2info.sigma import sigma_round

    run = noise2info.load_run(run_dir, "cpu")
    masking = (run.config.masking or MaskingConfig()).model_copy(update={"block": run.plan.mask_block})
    out = []
    for i, x in enumerate(noisy):
        values = x.astype(np.float64)
        flat = values.reshape(values.shape[0], -1)
        z = ((values - flat.mean(1)[:, None, None]) / flat.std(1)[:, None, None]).astype(np.float32)
        side = 64
        tiles = np.stack(
            [
                z[:, a : a + side, b : b + side]
                for a in range(0, z.shape[1] - side + 1, side)
                for b in range(0, z.shape[2] - side + 1, side)
            ]
        )
        masker = Masker(masking, torch.Generator().manual_seed(i))
        batches = [
            make_batch(tiles[k : k + 32], None, masker, torch.device("cpu"))
            for _ in range(2)
            for k in range(0, len(tiles), 32)
        ]
        star = sigma_round(run.model, batches, 10, torch.Generator().manual_seed(i))["sigma_star"]
        out.append(np.nan if star is None else star)
    return out


def report(name: str, read: np.ndarray, truth: np.ndarray) -> None:
    ratio = read / truth
    scaled = ratio / np.exp(np.nanmean(np.log(ratio)))  # one scale for all photos
    print(
        f"{name}: read / true {np.nanmean(ratio):.3f}, spread of log {np.nanstd(np.log(ratio)):.3f}, "
        f"after one scale {np.nanmin(scaled):.2f}-{np.nanmax(scaled):.2f}, "
        f"within 15 % {np.nanmean(np.abs(scaled - 1) < 0.15):.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--run", type=Path, default=None)
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data))
    truth, shares, read = [], [], {name: [] for name in READERS}
    for x, y in zip(noisy, clean, strict=True):
        for c in range(x.shape[0]):
            plane, error = x[c].astype(np.float64), x[c].astype(np.float64) - y[c]
            truth.append(error.std())
            smooth = gaussian_filter(y[c].astype(np.float64), 1)
            gradient = np.hypot(sobel(smooth, 0), sobel(smooth, 1))
            flat, edges = gradient <= np.quantile(gradient, 0.5), gradient > np.quantile(gradient, 0.9)
            shares.append((error[flat].std() / error.std(), error[edges].std() / error.std()))
            for name, reader in READERS.items():
                read[name].append(reader(plane))
    print(f"{len(names)} photos, {len(truth)} channels; true std {np.mean(truth):.2f} grey levels")
    flat, edges = np.mean(shares, axis=0)
    print(f"the truth in the flattest half of each channel {flat:.2f} of it, in its edges {edges:.2f}")
    for name, values in read.items():
        report(name, np.asarray(values), np.asarray(truth))
    if args.run is not None:
        stars = np.asarray(sigma_stars(args.run, noisy))
        report(
            "sigma* of each photo alone",
            stars,
            np.asarray([true_sigma(x, y) for x, y in zip(noisy, clean, strict=True)]),
        )


if __name__ == "__main__":
    main()
