"""Does bf16 mixed precision inflate Noise2Same's invariance term inv? (issue 10, item 6)

    python benchmarks/bf16_inv.py                 # CPU autocast (bf16 arithmetic in oneDNN)
    python benchmarks/bf16_inv.py --device cuda   # the trainer's GPU path

inv = mean over masked pixels of (F(X) - F(X_Jc))^2 is a small difference of two forward
passes, so rounding in each pass could add to it. On the same batches (scikit-image's camera,
coins and astronaut as grey, Gaussian noise 25/255, seed 0; 16 patches of 64, donut masks) and
the same network, this computes L_in and inv with both passes in fp32 and with both under
bf16 autocast (as the trainer runs them on GPUs), and the rounding floor
mean (F_fp32(X) - F_bf16(X))^2. Two networks: the shipped starting point (a trained F) and the
same shape from random weights.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from skimage import color, data

from noise2info.config import MaskingConfig, make_config
from noise2info.data import PatchSampler
from noise2info.masking import Masker
from noise2info.models import build_model
from noise2info.models.pretrained import load_pretrained
from noise2info.objectives.noise2same import reconstruction_and_invariance


def images(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    clean = [data.camera(), data.coins(), color.rgb2gray(data.astronaut()) * 255]
    return [(c.astype(np.float64) + rng.normal(0, 25, c.shape))[None].astype(np.float32) for c in clean]


def terms(model, x, masked, mask, device, bf16: bool) -> tuple[float, float, torch.Tensor]:
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        f_x, f_m = model(x).float(), model(masked).float()
    l_in, inv = reconstruction_and_invariance(f_x, f_m, x, mask)
    return float(l_in), float(inv), f_x


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--batches", type=int, default=8)
    a = p.parse_args()
    device = torch.device(a.device)
    cfg = make_config(preset="cpu").model
    print(f"torch {torch.__version__}, device {device}, {a.batches} batches of 16 x 64 x 64")
    print("| network | L_in fp32 | L_in bf16 | inv fp32 | inv bf16 | inv change | rounding floor |")
    print("|---|---|---|---|---|---|---|")
    for name in ("shipped starting point", "random weights"):
        torch.manual_seed(0)
        model = build_model(cfg)
        if name.startswith("shipped"):
            load_pretrained(model, cfg)
        model = model.to(device).eval()
        sampler = PatchSampler(images(), 64, seed=0)
        masker = Masker(MaskingConfig(replacement="donut"), torch.Generator().manual_seed(0))
        sums = np.zeros(5)
        for _ in range(a.batches):
            x = torch.from_numpy(sampler.sample(16)[0]).to(device)
            masked, mask = masker(x)
            l32, i32, f32 = terms(model, x, masked, mask, device, False)
            l16, i16, f16 = terms(model, x, masked, mask, device, True)
            sums += [l32, l16, i32, i16, float(torch.mean((f32 - f16) ** 2))]
        l32, l16, i32, i16, floor = sums / a.batches
        print(
            f"| {name} | {l32:.5f} | {l16:.5f} | {i32:.3e} | {i16:.3e} | "
            f"{(i16 / i32 - 1) * 100:+.1f} % | {floor:.2e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
