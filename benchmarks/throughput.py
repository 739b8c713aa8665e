"""Throughput on this machine, each figure as a ratio measured in one run.

    python benchmarks/throughput.py --device cpu

1. Training patches per second, noise2info vs noise2same on the same network and batches: the
   cost of the sigma estimation rounds (target: at most 10 % of training time). Rounds as in a
   1,500-step CPU run (k_t = 288 steps, k_u = 32 batches) and at the paper's ratio (900 / 100).
2. Inference megapixels per second of the cpu and paper presets vs BM3D (the `bm3d` package,
   if installed) on the same images (scikit-image's camera, coins, page with noise 25/255).
3. Training patches per second from a memory-mapped stack on disk (the images above as an
   .npy file), with patches drawn in the training process vs by DataLoader workers.
4. Tiled prediction (cpu preset, a 2048 x 2048 image in 512 tiles) with glibc's default malloc
   and after `noise2info.runtime.keep_freed_memory()`, which the CLI applies; it is applied
   before figures 1-3 too, as in the CLI.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import torch
from skimage import data as skdata

import noise2info
from noise2info import io
from noise2info.config import make_config
from noise2info.models import build_model
from noise2info.runtime import keep_freed_memory
from noise2info.training import Trainer


def train_rate(
    images, method: str, steps: int, k_t: int, k_u: int, batch: int, device: str, workers: int = 0
) -> float:
    rounds = {"k_t": k_t, "k_u": k_u} if method == "noise2info" else {}  # noise2same has no rounds
    cfg = make_config(preset="cpu", method=method, steps=steps, batch_size=batch, seed=0, **rounds)
    trainer = Trainer(images, cfg, device=device, workers=workers)
    trainer.step()  # warm-up (allocations, kernels) outside the timing
    trainer.steps_done = 0
    t0 = time.perf_counter()
    trainer.run(progress=False)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    clean = [getattr(skdata, n)() / 255.0 for n in ("camera", "coins", "page")]
    noisy = [(y + rng.normal(0, 25 / 255, y.shape)).astype(np.float32) for y in clean]
    images = [x[None] for x in noisy]
    figures = {"device": args.device, "torch": torch.__version__, "threads": torch.get_num_threads()}

    # First, while malloc still has glibc's defaults (setting them cannot be undone).
    torch.manual_seed(0)
    model = build_model(make_config(preset="cpu").model).to(args.device).eval()
    big = np.tile(images[0], (1, 4, 4))  # 2048 x 2048
    noise2info.denoise(model, big[:, :256, :256])  # warm-up
    tiled = {}
    for setting in ("glibc default", "keep_freed_memory()"):
        if setting != "glibc default" and not keep_freed_memory():
            break
        t0 = time.perf_counter()
        noise2info.denoise(model, big)
        tiled[setting] = big.size / 1e6 / (time.perf_counter() - t0)
    figures["tiled_mpx_per_s"] = tiled

    print("| rounds (k_t / k_u) | noise2same patches/s | noise2info patches/s | estimation share of time |")
    print("|---|---|---|---|")
    for k_t, k_u in ((288, 32), (900, 100)):
        steps = k_t  # one full round
        same = train_rate(images, "noise2same", steps, k_t, k_u, args.batch_size, args.device)
        info = train_rate(images, "noise2info", steps, k_t, k_u, args.batch_size, args.device)
        share = 1 - info / same
        figures[f"train_{k_t}_{k_u}"] = {"noise2same": same, "noise2info": info, "estimation_share": share}
        print(f"| {k_t} / {k_u} | {same:.1f} | {info:.1f} | {100 * share:.1f} % |")

    pixels = sum(x.size for x in noisy) / 1e6
    print("\n| denoiser | megapixels / s | relative to BM3D |")
    print("|---|---|---|")
    rates = {}
    for preset in ("cpu", "paper"):
        torch.manual_seed(0)
        cfg = make_config(preset=preset)
        model = build_model(cfg.model).to(args.device).eval()
        noise2info.denoise(model, images[0])  # warm-up
        t0 = time.perf_counter()
        for x in images:
            noise2info.denoise(model, x)
        rates[f"noise2info {preset} preset"] = pixels / (time.perf_counter() - t0)
    try:
        import bm3d

        t0 = time.perf_counter()
        for x in noisy:
            bm3d.bm3d(x, sigma_psd=25 / 255)
        rates["BM3D"] = pixels / (time.perf_counter() - t0)
    except ImportError:
        print("(bm3d not installed: pip install 'noise2info[bench]')")
    for name, rate in rates.items():
        rel = f"{rate / rates['BM3D']:.1f}x" if "BM3D" in rates else "-"
        print(f"| {name} | {rate:.3f} | {rel} |")
    figures["inference_mpx_per_s"] = rates

    print("\n| tiled prediction, cpu preset, 2048 x 2048 | megapixels / s |")
    print("|---|---|")
    for setting, rate in tiled.items():
        print(f"| malloc: {setting} | {rate:.3f} |")

    print("\n| patches drawn by | patches/s (memory-mapped .npy, noise2same, 200 steps) |")
    print("|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        side = min(min(x.shape) for x in noisy)
        np.save(f"{tmp}/stack.npy", np.stack([x[:side, :side] for x in noisy]))
        views = io.sample_views(io.open_image(f"{tmp}/stack.npy"), 2)
        for workers in (0, 1, 2):
            rate = train_rate(views, "noise2same", 200, 1000, 1, args.batch_size, args.device, workers)
            figures[f"train_lazy_workers_{workers}"] = rate
            who = "the training process" if workers == 0 else f"{workers} DataLoader worker(s)"
            print(f"| {who} | {rate:.1f} |")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(figures, fh, indent=1)


if __name__ == "__main__":
    main()
