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
optional denoise options after ``|`` (``posterior=false``); ``bm3d-true`` and ``bm3d-est`` are
CBM3D with the true and scikit-image's estimated noise std.
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

DEFAULT_VARIANTS = ["default:", "network-alone:|posterior=false", "bm3d-est", "bm3d-true"]


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
    std = x.reshape(3, -1).std(axis=1)
    return float(np.sqrt(np.mean(((x - y).reshape(3, -1) ** 2).mean(axis=1) / std**2)))


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


def run_learned(noisy, clean, settings: dict, options: dict, steps: int, seed: int) -> tuple[list, dict]:
    key = json.dumps(settings, sort_keys=True)
    if key not in _TRAINED:
        cfg = noise2info.make_config(steps=steps, seed=seed, **settings)
        cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"channels": 3})})
        t0 = time.perf_counter()
        _TRAINED[key] = (noise2info.train(noisy, cfg, progress=False), time.perf_counter() - t0)
    result, seconds = _TRAINED[key]
    outs, read, expected = [], [], []
    for x, y in zip(noisy, clean, strict=True):
        given = dict(options)
        if given.get("sigma") == "true":  # an oracle row: the true noise std, in normalised units
            given["sigma"] = true_sigma(x, y)
        out, gain = noise2info.denoise(result, x, return_gain=True, **given)
        outs.append(io.cast_to(out, np.uint8))
        expected.append(gain["gain_db"])
        std = x.reshape(3, -1).astype(np.float64).std(axis=1)
        source = x if result.plan.vst is None else None
        sigmas = image_sigmas(source, std, result.plan) if source is not None else None
        read.append(None if sigmas is None else float(np.sqrt(np.mean(np.square(sigmas)))))
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
    args = parser.parse_args()
    names, noisy, clean = load(Path(args.data), args.limit)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truth = [true_sigma(x, y) for x, y in zip(noisy, clean, strict=True)]
    base = [psnr(y, x) for x, y in zip(noisy, clean, strict=True)]
    direct = [direct_noise_std([x])["sigma"] for x in noisy]
    rows = {"untouched": {"psnr": base}}
    print(f"{len(names)} photos; untouched {np.mean(base):.2f} dB; true sigma {np.mean(truth):.4f}", flush=True)
    for spec in args.variants:
        name, settings, options = parse(spec)
        t0 = time.perf_counter()
        if name.startswith("bm3d"):
            outs, info = run_bm3d(noisy, clean, estimated=name == "bm3d-est"), {}
        else:
            outs, info = run_learned(noisy, clean, settings, options, args.steps, args.seed)
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
            line += (
                f"; noise read / true {np.mean(ratio):.2f} (range {min(ratio):.2f}-{max(ratio):.2f}); "
                f"expected - true gain {np.mean(exp):+.2f} dB (|max| {max(map(abs, exp)):.2f}); "
                f"run sigma {info['sigma']:.4f}, sigma_loss {info['sigma_loss']:.4f}"
            )
        print(line, flush=True)
        result = {"names": names, "truth": truth, "direct": direct, "rows": rows}
        (out / "results.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
