"""Training-step time on the CPU with channels_last (NHWC) weights against the plain layout.

    python benchmarks/channels_last.py

One Noise2Same step (two passes, backward, Adam) of the default `cpu` preset on a batch of 16
64x64 patches, 2 threads; the median of 10 timed steps after 2 untimed ones, twice each,
alternating. The trainer puts 2-D models in channels_last on every device since this.
"""

import time

import torch

import noise2info
from noise2info.masking import Masker
from noise2info.models import build_model
from noise2info.objectives import make_batch
from noise2info.objectives.noise2same import Noise2Same

torch.set_num_threads(2)
cfg = noise2info.make_config(seed=0)


def bench(channels_last, n=12):
    torch.manual_seed(0)
    m = build_model(cfg.model).train()
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(m.parameters(), 4e-4)
    obj = Noise2Same(0.5)
    masker = Masker(cfg.masking, torch.Generator().manual_seed(0))
    x = torch.randn(16, 1, 64, 64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    ts = []
    for _ in range(n):
        b = make_batch(x, None, masker, torch.device("cpu"))
        t0 = time.perf_counter()
        terms = obj(m, b)
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
        ts.append(time.perf_counter() - t0)
    ts = sorted(ts[2:])
    return ts[len(ts) // 2]


if __name__ == "__main__":
    for _ in range(2):
        for cl in (False, True):
            print("channels_last" if cl else "contiguous", f"{bench(cl):.3f} s/step", flush=True)
