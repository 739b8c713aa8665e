"""Real camera photos: noise2info against the untouched photos and BM3D on polyu-dev.

The photos are sRGB JPEGs as the cameras saved them, with references averaged over many
frames (../shared/data/polyu-dev, non-commercial licence: read from there, never copied).
One run trains on all of them (as `noise2info train` on the folder would), then each photo is
denoised as `noise2info denoise` does and written as 8-bit (PSNR of the 8-bit array, before
any JPEG encoding of the output). Reported per variant: mean PSNR and gain over the untouched
photos, how many got worse, the noise std each photo was read with against the truth (noisy
minus reference over each channel's std, rms over channels), and the expected gain against
the true one.

    python benchmarks/polyu.py --out benchmarks/results/polyu [--steps 800] [--variants ...]

Each variant is a name and flat settings for make_config (``name:key=value,key=value``) and
optional denoise options after ``|`` (``posterior=false,mix_start=false``; ``floor=F``: the
plan's ``posterior_floor`` replaced by F); ``bm3d-true`` and ``bm3d-est`` are CBM3D with the
true and scikit-image's estimated noise std.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info import io
from noise2info.noise_level import direct_noise_std
from noise2info.prediction import image_sigmas

DEFAULT_VARIANTS = [
    "default:",
    "without-the-start-mix:|mix_start=false",
    "network-alone:|posterior=false,mix_start=false",
    "bm3d-est",
    "bm3d-true",
]


def load(folder: Path, limit: int | None = None) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Names, noisy and reference photos as ``(3, H, W)`` uint8."""
    names, noisy, clean = [], [], []
    for path in sorted(folder.glob("*_real.JPG"))[:limit]:
        names.append(path.name.removesuffix("_real.JPG"))
        noisy.append(np.moveaxis(io.read_image(path), -1, 0))
        clean.append(np.moveaxis(io.read_image(path.with_name(path.name.replace("_real", "_mean"))), -1, 0))
    return names, noisy, clean


def true_sigma(x: np.ndarray, y: np.ndarray) -> float:
    """The noise std in normalised units: noisy minus reference over each channel's std, rms."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    channels = x.shape[0]
    std = x.reshape(channels, -1).std(axis=1)
    return float(np.sqrt(np.mean(((x - y).reshape(channels, -1) ** 2).mean(axis=1) / std**2)))


def psnr(clean: np.ndarray, image: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(clean, image, data_range=255))


def parse(spec: str) -> tuple[str, dict, dict]:
    name, _, rest = spec.partition(":")
    settings_part, _, options_part = rest.partition("|")

    def values(text: str) -> dict:
        out = {}
        for item in filter(None, text.split(",")):
            key, _, value = item.partition("=")
            out[key] = json.loads(value) if value not in ("auto",) else value
        return out

    return name, values(settings_part), values(options_part)


def run_bm3d(noisy, clean, estimated: bool) -> list[np.ndarray]:
    import bm3d
    from skimage.restoration import estimate_sigma

    out = []
    for x, y in zip(noisy, clean, strict=True):
        xf = np.moveaxis(x, 0, -1).astype(np.float64) / 255
        if estimated:
            sigma = float(estimate_sigma(xf, channel_axis=-1, average_sigmas=True))
        else:
            sigma = float(np.sqrt(np.mean((x.astype(np.float64) - y) ** 2))) / 255
        d = bm3d.bm3d_rgb(xf, sigma_psd=max(sigma, 1e-4))
        out.append(io.cast_to(np.moveaxis(d, -1, 0) * 255, np.uint8))
    return out


_TRAINED: dict[str, tuple] = {}  # variants with the same settings share one run

# Orthonormal opponent colours: luminance and two colour differences (the noise of the three
# camera channels is correlated; these are closer to independent)
OPPONENT = np.array([[1, 1, 1], [1, 0, -1], [1, -2, 1]], float)
OPPONENT /= np.linalg.norm(OPPONENT, axis=1, keepdims=True)


def to_planes(x: np.ndarray, planes: str | None) -> list[np.ndarray]:
    """One colour photo as the images the run sees: itself, or its grey planes."""
    if planes is None:
        return [x]
    values = np.tensordot(OPPONENT, x.astype(np.float64), 1) if planes == "opponent" else x
    return [plane[None] for plane in values]  # (1, H, W): one grey image each


def from_planes(parts: list[np.ndarray], planes: str | None) -> np.ndarray:
    if planes is None:
        return parts[0]
    values = np.concatenate(parts)
    return np.tensordot(OPPONENT.T, values, 1) if planes == "opponent" else values


def run_learned(
    noisy, clean, settings: dict, options: dict, steps: int, seed: int, planes: str | None = None
) -> tuple[list, dict]:
    key = json.dumps([settings, planes], sort_keys=True)
    if key not in _TRAINED:
        cfg = noise2info.make_config(steps=steps, seed=seed, **settings)
        channels = 3 if planes is None else 1
        cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"channels": channels})})
        images = [part for x in noisy for part in to_planes(x, planes)]
        t0 = time.perf_counter()
        _TRAINED[key] = (noise2info.train(images, cfg, progress=False), time.perf_counter() - t0)
    result, seconds = _TRAINED[key]

    def reading(part: np.ndarray) -> list[float] | None:
        """The noise std denoise reads for this image, per channel (normalised units)."""
        if result.plan.vst is not None:
            return None
        return image_sigmas(part, part.reshape(part.shape[0], -1).astype(np.float64).std(axis=1), result.plan)

    choice = str(options.get("sigma", ""))
    scale = 1.0
    if choice == "calibrated":  # the images' readings scaled to the run's sigma_loss (an experiment)
        found = [reading(part) for x in noisy for part in to_planes(x, planes)]
        scale = result.sigma_loss / float(np.sqrt(np.mean(np.square([v for f in found for v in f]))))
    outs, read, expected = [], [], []
    for x, y in zip(noisy, clean, strict=True):
        given = dict(options)
        if "floor" in given:  # the posterior step's least gain, on the same trained run
            given["plan"] = result.plan.model_copy(update={"posterior_floor": float(given.pop("floor"))})
        parts, gains, sigmas = [], [], []
        for part, ref in zip(to_planes(x, planes), to_planes(y, planes), strict=True):
            found = reading(part)
            if choice.startswith("true"):  # an oracle row: the true std (times a factor)
                factor = float(choice.partition("*")[2] or 1)
                given["sigma"] = factor * true_sigma(part, ref)
            elif choice == "calibrated":
                given["sigma"] = scale * float(np.sqrt(np.mean(np.square(found))))
            elif choice == "loss":  # the run's sigma_loss for every image
                given["sigma"] = result.sigma_loss
            out, gain = noise2info.denoise(result, part, return_gain=True, **given)
            parts.append(out)
            gains.append(gain["gain_db"])
            sigmas.extend([given["sigma"]] if "sigma" in given else (found or [np.nan]))
        outs.append(io.cast_to(from_planes(parts, planes), np.uint8))
        expected.append(None if None in gains else float(np.mean(gains)))
        read.append(
            None if not sigmas or np.isnan(sigmas).any() else float(np.sqrt(np.mean(np.square(sigmas))))
        )
    info = {
        "seconds": seconds,
        "plan": json.loads(result.plan.model_dump_json()),
        "sigma": result.sigma,
        "sigma_loss": result.sigma_loss,
        "sigma_readout": result.sigma_readout,
        "refine": result.history.readings.get("refine"),
        "read": read,
        "expected": expected,
    }
    return outs, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="the first N photos only")
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS)
    parser.add_argument(
        "--planes",
        choices=["rgb", "opponent"],
        default=None,
        help="train and denoise each photo as three grey images (its RGB or opponent planes)",
    )
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data), args.limit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truth = [true_sigma(x, y) for x, y in zip(noisy, clean, strict=True)]
    base = [psnr(y, x) for x, y in zip(noisy, clean, strict=True)]
    direct = [direct_noise_std([x])["sigma"] for x in noisy]
    rows = {"untouched": {"psnr": base}}
    print(
        f"{len(names)} photos; untouched {np.mean(base):.2f} dB; true sigma {np.mean(truth):.4f}", flush=True
    )
    for spec in args.variants:
        name, settings, options = parse(spec)
        t0 = time.perf_counter()
        if name.startswith("bm3d"):
            outs, info = run_bm3d(noisy, clean, estimated=name == "bm3d-est"), {}
        else:
            outs, info = run_learned(noisy, clean, settings, options, args.steps, args.seed, args.planes)
        scores = [psnr(y, o) for o, y in zip(outs, clean, strict=True)]
        gains = [s - b for s, b in zip(scores, base, strict=True)]
        row = {"settings": settings, "options": options, "psnr": scores, **info}
        row["wall_seconds"] = time.perf_counter() - t0
        rows[name] = row
        line = (
            f"{name}: {np.mean(scores):.2f} dB ({np.mean(gains):+.2f}), worse {sum(g < 0 for g in gains)}, "
            f"lowest {min(gains):+.2f}"
        )
        if info.get("read"):
            ratio = [r / t for r, t in zip(info["read"], truth, strict=True) if r is not None]
            exp = [e - g for e, g in zip(info["expected"], gains, strict=True) if e is not None]
            if ratio:
                line += f"; noise read / true {np.mean(ratio):.2f} (range {min(ratio):.2f}-{max(ratio):.2f})"
            line += (
                f"; expected - true gain {np.mean(exp):+.2f} dB (|max| {max(map(abs, exp)):.2f})"
                if exp
                else "; no expected gain"
            )
            line += f"; run sigma {info['sigma']:.4f}, sigma_loss {info['sigma_loss']:.4f}"
        print(line, flush=True)
        result = {"names": names, "truth": truth, "direct": direct, "rows": rows}
        (out / "results.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
