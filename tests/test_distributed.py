"""The sigma estimator across processes (gloo, 2 ranks, CPU) equals one process on the union."""

import json
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from helpers import small_model
from noise2info.config import MaskingConfig
from noise2info.masking import Masker
from noise2info.objectives import make_batch
from noise2info.sigma import sigma_round


def _model():
    return small_model(depth=1, base_features=4)


def _batches(rank: int):
    """Rank r draws its own patches: r + 2 batches of 3 patches (unequal counts on purpose)."""
    g = torch.Generator().manual_seed(100 + rank)
    masker = Masker(MaskingConfig(percent=5), torch.Generator().manual_seed(200 + rank))
    return [
        make_batch(torch.randn(3, 1, 16, 16, generator=g).numpy(), None, masker, torch.device("cpu"))
        for _ in range(rank + 2)
    ]


def _worker(rank: int, world: int, store: str, out: str):
    torch.set_num_threads(1)  # as in the parent (conftest): the same float reduction order
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        result = sigma_round(_model(), _batches(rank), k_mc=5, generator=torch.Generator().manual_seed(7))
        with open(f"{out}.{rank}", "w") as fh:
            json.dump(result, fh)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_agree_and_equal_one_process_on_the_union(tmp_path):
    world = 2
    out = str(tmp_path / "result")
    mp.spawn(_worker, args=(world, str(tmp_path / "store"), out), nprocs=world, join=True)
    results = [json.loads((tmp_path / f"result.{r}").read_text()) for r in range(world)]
    assert results[0] == results[1]  # every rank ends the round with the same sigma

    union = [b for r in range(world) for b in _batches(r)]
    single = sigma_round(_model(), union, k_mc=5, generator=torch.Generator().manual_seed(7))
    for key in ("sigma_star", "L_in", "inv"):
        assert math.isclose(results[0][key], single[key], rel_tol=1e-9), (key, results[0], single)


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["nproc", "torchrun"])
def test_train_with_two_processes_on_cpu(tmp_path, launcher):
    import subprocess
    import sys

    from helpers import noisy_set, tiny_train_args
    from noise2info import io, load_run

    _, noisy = noisy_set(n=2)
    for i, x in enumerate(noisy):
        io.write_image(tmp_path / "in" / f"{i}.tif", x[0])
    train = ["-m", "noise2info.cli", "train", str(tmp_path / "in"), "--out", str(tmp_path / "run"), "--json"]
    args = tiny_train_args(steps=8, k_t=2, refine="sure")  # rounds, then SURE from step 5
    if launcher == "nproc":
        cmd = [sys.executable, *train, *args, "--nproc", "2"]
    else:  # torchrun starts the ranks; each joins the group from the environment
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
        cmd = [*torchrun, *train, *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "terminate called" not in res.stderr  # no rank aborted while another was in the group
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == 1  # reported once, by rank 0
    summary = json.loads(lines[0])
    assert summary["processes"] == 2 and summary["sigma_rounds"] == 2
    run = load_run(tmp_path / "run", device="cpu")
    assert run.config.training.steps == 8
    assert [r["step"] for r in run.history["sigma_rounds"]] == [2, 4]
    assert run.sigma_loss == summary["sigma_loss"] == run.history["sigma_rounds"][-1]["sigma_loss"]
