"""What the truth would be worth on real photos: oracle noise statistics for the posterior step
and for Stein's risk estimate, on one trained run (no retraining).

For each photo of ../shared/data/polyu-dev (the truth is noisy minus the multi-frame reference):

- the posterior step with each photo's noise reading (``default``), with the true std per
  channel (``true std``), and with the true *local* noise variance (the true noise squared,
  Gaussian-smoothed with std W pixels: ``local W``), each with the run's floor (or none, ``/0``);
- the expected gain of the default's output from Stein's unbiased risk estimate for correlated
  noise (``mean (F - X)^2 - sigma^2 + 2 sigma^2 tr(J C) / n``, tr(J C) from one probe with the
  noise's correlation C), with sigma the reading or the truth and C the correlation the
  ``correlation`` stage measures (lags up to 2 pixels) or the true noise's (lags up to 8),
  against the true gain.

    python benchmarks/polyu_oracles.py --run RUN [--only 0,4,8,...]

``RUN`` is a saved default run on the photos (benchmarks/polyu_posterior.py trains one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from polyu import load
from polyu_posterior import trained_run
from scipy.ndimage import convolve, gaussian_filter

from noise2info.correlation import correlated_probe, noise_correlation
from noise2info.posterior import posterior_divergence, posterior_mean
from noise2info.prediction import image_sigmas
from noise2info.prediction.denoise import predict
from noise2info.rating import PROBE_STEP
from noise2info.safety import MAX_GAIN_DB

REACH = 8  # lags of the true noise's correlation the oracle probe carries


def true_probe_filter(noise: np.ndarray) -> np.ndarray:
    """A filter whose output on white noise has ``noise``'s correlation up to :data:`REACH`
    pixels (the square root of its spectrum), unit energy."""
    side = 64
    f = np.fft.fft2(noise - noise.mean())
    corr = np.fft.ifft2(np.abs(f) ** 2).real
    corr /= corr[0, 0]
    kernel = np.zeros((side, side))
    for dy in range(-REACH, REACH + 1):
        for dx in range(-REACH, REACH + 1):
            kernel[dy % side, dx % side] = corr[dy % corr.shape[0], dx % corr.shape[1]]
    root = np.fft.ifft2(np.sqrt(np.clip(np.fft.fft2(kernel).real, 0, None))).real
    c, r = side // 2, REACH + 2
    h = np.fft.fftshift(root)[c - r : c + r + 1, c - r : c + r + 1]
    return h / np.sqrt(np.sum(h**2))


def local_step(z, mu, variance, floor: float, width: float = 6.0) -> np.ndarray:
    """The posterior step with a noise variance per pixel instead of per channel."""
    r = z - mu
    total = np.stack([gaussian_filter(r[c] ** 2, width, mode="mirror") for c in range(r.shape[0])])
    return mu + np.clip(1 - variance / np.maximum(total, 1e-12), floor, 1) * r


def expected_gain(net, z, mu, out, sigma, probe, std, floor) -> float:
    """Stein's expected gain of ``out`` over ``z`` (dB), intensity-weighted over channels."""
    response = (predict(net, (z + PROBE_STEP * probe).astype(np.float32)) - mu) / PROBE_STEP
    div = posterior_divergence(z, mu, sigma, probe * response, floor=floor)
    s2, w = np.asarray(sigma) ** 2, np.ravel(std) ** 2
    risk = sum(
        w[c] * (np.mean((out[c] - z[c]) ** 2) - s2[c] + 2 * s2[c] * np.mean(div[c])) for c in range(len(w))
    )
    return min(MAX_GAIN_DB, float(10 * np.log10(np.sum(w * s2) / risk))) if risk > 0 else MAX_GAIN_DB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--run", required=True, type=Path)
    parser.add_argument("--only", default=None, help="comma-separated photo indices (default all)")
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data))
    run = trained_run(args.run, noisy)
    net, floor = run.model.eval(), run.plan.posterior_floor
    chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(names))
    rng = np.random.default_rng(0)
    gains: dict[str, list] = {}
    errors: dict[str, list] = {}
    for i in chosen:
        x, y = noisy[i].astype(np.float64), clean[i].astype(np.float64)
        mean = x.reshape(3, -1).mean(axis=1)[:, None, None]
        std = x.reshape(3, -1).std(axis=1)[:, None, None]
        z, noise = (x - mean) / std, (x - y) / std
        read = np.asarray(image_sigmas(noisy[i].astype(np.float32), std.ravel(), run.plan))
        true = noise.reshape(3, -1).std(axis=1)
        mu = predict(net, z.astype(np.float32)).astype(np.float64)
        outs = {
            "default": posterior_mean(z, mu, read, floor=floor),
            "true std": posterior_mean(z, mu, true, floor=floor),
            "true std /0": posterior_mean(z, mu, true, floor=0.0),
        }
        for width in (3, 8, 16):
            local = np.stack([gaussian_filter(noise[c] ** 2, width, mode="mirror") for c in range(3)])
            outs[f"local {width}"] = local_step(z, mu, local, floor)
            outs[f"local {width} /0"] = local_step(z, mu, local, 0.0)
        base = np.mean((x - y) ** 2)
        for name, out in outs.items():
            written = np.clip(np.round(out * std + mean), 0, 255)
            gains.setdefault(name, []).append(10 * np.log10(base / np.mean((written - y) ** 2)))
        truth = 10 * np.log10(base / np.mean((outs["default"] * std + mean - y) ** 2))
        white = rng.standard_normal(z.shape)
        lag_probe = correlated_probe(white, noise_correlation([z])["lags"])
        filters = [true_probe_filter(noise[c] / true[c]) for c in range(3)]
        true_probe = np.stack([convolve(white[c], filters[c], mode="wrap") for c in range(3)])
        for sigma_name, sigma in (("read", read), ("true", true)):
            for probe_name, probe in (("lags", lag_probe), ("true correlation", true_probe)):
                key = f"std {sigma_name}, {probe_name}"
                errors.setdefault(key, []).append(
                    expected_gain(net, z, mu, outs["default"], sigma, probe, std, floor) - truth
                )
        print(names[i], " ".join(f"{k} {v[-1]:+.2f}" for k, v in gains.items()), flush=True)
    for name, values in gains.items():
        v = np.asarray(values)
        worse = int((v < 0).sum())
        print(f"step, {name}: gain {v.mean():+.3f} dB, worse {worse} of {v.size}, lowest {v.min():+.2f}")
    for name, values in errors.items():
        v = np.asarray(values)
        print(
            f"expected gain, {name}: expected - true {v.mean():+.2f} dB "
            f"(range {v.min():+.2f} to {v.max():+.2f}), within 1 dB {int((np.abs(v) < 1).sum())} of {v.size}"
        )


if __name__ == "__main__":
    main()
