"""Seconds per training step on the CPU: the issue's plain U-Net reference against ours, in the
plain layout, channels_last (the trainer's default for 2-D), with torch.compile and with
fused Adam (issue 10, item 5).

    python benchmarks/train_step_speed.py

One step of batch 16 on 64 x 64 patches (forward passes, backward, Adam) of the `cpu` preset,
for both stages of the default pipeline: the masked two-pass Noise2Info / Noise2Same step and
the SURE second stage (two passes, one of them probed). The reference is the issue's: a
32-feature, 2-level plain U-Net (double 3x3 conv + BN + ReLU, max-pool, transposed conv) on the
same two-pass step. Median of 10 timed steps after 3 untimed ones (torch.compile compiles in
those; its compile time is printed apart); each variant twice, alternating, on 2 threads.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import noise2info
from noise2info.masking import Masker
from noise2info.models import build_model
from noise2info.objectives import Noise2Same, Sure, make_batch


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PlainUNet(nn.Module):
    """The issue's reference network: 32 features, 2 levels, max-pool down, transposed conv up."""

    def __init__(self, f: int = 32):
        super().__init__()
        self.config = None
        self.enc = nn.ModuleList([double_conv(1, f), double_conv(f, 2 * f)])
        self.bottom = double_conv(2 * f, 4 * f)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(4 * f, 2 * f, 2, 2), nn.ConvTranspose2d(2 * f, f, 2, 2)])
        self.dec = nn.ModuleList([double_conv(4 * f, 2 * f), double_conv(2 * f, f)])
        self.head = nn.Conv2d(f, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, dec, skip in zip(self.ups, self.dec, reversed(skips), strict=True):
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


def step_time(net_kind: str, objective: str, channels_last: bool, compiled: bool, fused: bool, n: int = 13):
    torch.manual_seed(0)
    cfg = noise2info.make_config(seed=0)
    model = (PlainUNet() if net_kind == "plain" else build_model(cfg.model)).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = torch.compile(model) if compiled else model
    opt = torch.optim.Adam(model.parameters(), 4e-4, fused=fused or None)
    obj = Noise2Same(0.5) if objective == "noise2same" else Sure()
    masker = Masker(cfg.masking, torch.Generator().manual_seed(0)) if obj.needs_mask else None
    probes = torch.Generator().manual_seed(1) if obj.needs_probe else None
    x = torch.randn(16, 1, 64, 64)
    times = []
    for _ in range(n):
        batch = make_batch(x, None, masker, torch.device("cpu"), probes)
        t0 = time.perf_counter()
        terms = obj(net, batch)
        opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    timed = sorted(times[3:])
    return timed[len(timed) // 2], sum(times[:3])


VARIANTS = {
    "plain U-Net reference, channels_last": ("plain", True, False, False),
    "ours, plain layout": ("ours", False, False, False),
    "ours, channels_last (trainer default)": ("ours", True, False, False),
    "ours, channels_last, fused Adam": ("ours", True, False, True),
    "ours, channels_last, torch.compile": ("ours", True, True, False),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-compile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    variants = {k: v for k, v in VARIANTS.items() if not (a.skip_compile and v[2])}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 16 x 64 x 64")
    print("| variant | stage | s / step (run 1) | s / step (run 2) | first 3 steps s |")
    print("|---|---|---|---|---|")
    for objective in ("noise2same", "sure"):
        results = {k: [] for k in variants}
        for _ in range(2):
            for name, (kind, cl, comp, fused) in variants.items():
                if kind == "plain" and objective == "sure":
                    continue
                results[name].append(step_time(kind, objective, cl, comp, fused))
        for name, runs in results.items():
            if runs:
                stage = "masked two-pass" if objective == "noise2same" else "SURE"
                (t1, warm), (t2, _) = runs
                print(f"| {name} | {stage} | {t1:.3f} | {t2:.3f} | {warm:.1f} |", flush=True)


if __name__ == "__main__":
    main()
