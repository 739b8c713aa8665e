"""Interrupted and resumed training equals uninterrupted training; checkpoints are safe."""

import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from helpers import noisy_set, tiny_config, tiny_train_args
from noise2info import ModelFileError, Noise2InfoError, io
from noise2info.run import load_checkpoint
from noise2info.training import Trainer, TrainingError, TrainingInterrupted


def _cfg(**kw):
    rounds = {"k_t": 5, "k_u": 2} if kw.get("method", "noise2info") == "noise2info" else {}
    base = dict(steps=24, batch_size=3, log_every=4, checkpoint_every=7, seed=3, masking="donut", **rounds)
    return tiny_config(**{**base, **kw})


@pytest.mark.parametrize("stop_at", [5, 10])
def test_resume_equals_uninterrupted(tmp_path, stop_at):
    _, noisy = noisy_set(std=0.3)
    full = Trainer(noisy, _cfg()).run(progress=False)

    first = Trainer(noisy, _cfg())
    ckpt = tmp_path / "checkpoint.safetensors"

    def stop(record):
        if record["step"] == stop_at:
            first.request_stop()

    with pytest.raises(TrainingInterrupted, match=f"step {stop_at}"):
        first.run(progress=False, on_round=stop, checkpoint=ckpt)

    second = Trainer(noisy, _cfg())
    second.resume(ckpt)
    resumed = second.run(progress=False, checkpoint=ckpt)

    for k, v in full.model.state_dict().items():
        assert torch.equal(v, resumed.model.state_dict()[k]), k
    assert resumed.history.to_dict() == full.history.to_dict()
    assert resumed.sigma_loss == full.sigma_loss


@pytest.mark.parametrize(("refine", "stop_at"), [("sure", 17), ("auto", 17), ("auto", 12)])
def test_resume_in_the_second_stage_equals_uninterrupted(tmp_path, monkeypatch, refine, stop_at):
    from noise2info import training

    monkeypatch.setattr(training, "POSTERIOR_MIN_GAIN_DB", float("inf"))  # auto: the SURE stage
    _, noisy = noisy_set(std=0.3)
    assert _cfg(refine=refine).method.refine_after == 12
    full = Trainer(noisy, _cfg(refine=refine)).run(progress=False)
    first = Trainer(noisy, _cfg(refine=refine))
    ckpt = tmp_path / "checkpoint.safetensors"
    step = first.step

    def step_then_stop():  # stop in the second stage (SURE, its own probes), or just before it
        values = step()
        if first.steps_done == stop_at:
            first.request_stop()
        return values

    first.step = step_then_stop
    with pytest.raises(TrainingInterrupted, match=f"step {stop_at}"):
        first.run(progress=False, checkpoint=ckpt)
    second = Trainer(noisy, _cfg(refine=refine))
    second.resume(ckpt)
    resumed = second.run(progress=False)
    for k, v in full.model.state_dict().items():
        assert torch.equal(v, resumed.model.state_dict()[k]), k
    assert resumed.history.to_dict() == full.history.to_dict()
    assert resumed.config == full.config


def test_resume_refuses_other_config_data_or_processes_before_restoring_anything(tmp_path):
    _, noisy = noisy_set()
    ckpt = tmp_path / "c.safetensors"
    Trainer(noisy, _cfg(steps=3)).run(progress=False, checkpoint=ckpt)
    refused = [
        (Trainer(noisy, _cfg(steps=3, seed=4)), {}, "other settings .training.seed: 3 -> 4"),
        (Trainer([n * 2 for n in noisy], _cfg(steps=3)), {}, "different images"),
        (Trainer(noisy, _cfg(steps=3)), {"world_size": 2}, "written by 2 process"),
    ]
    for trainer, change, message in refused:
        before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        state = load_checkpoint(ckpt)
        state.meta.update(change)
        with pytest.raises(Noise2InfoError, match=message):
            trainer.load_state(state)
        assert trainer.steps_done == 0 and trainer.optimiser.state_dict()["state"] == {}
        assert all(torch.equal(v, trainer.model.state_dict()[k]) for k, v in before.items())


def test_damaged_checkpoint_is_refused(tmp_path):
    _, noisy = noisy_set()
    ckpt = tmp_path / "c.safetensors"
    Trainer(noisy, _cfg(steps=3)).run(progress=False, checkpoint=ckpt)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError, match="damaged checkpoint"):
        load_checkpoint(ckpt)
    with pytest.raises(ModelFileError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_nan_loss_keeps_the_last_good_checkpoint(tmp_path):
    _, noisy = noisy_set()
    ckpt = tmp_path / "c.safetensors"
    trainer = Trainer(noisy, _cfg(steps=10, checkpoint_every=2, method="noise2same"))
    original_step = trainer.step

    def poisoned():
        if trainer.steps_done == 5:
            with torch.no_grad():
                trainer.model.stem.weight.fill_(float("nan"))
        return original_step()

    trainer.step = poisoned
    with pytest.raises(TrainingError, match="loss became nan at step 6"):
        trainer.run(progress=False, checkpoint=ckpt)
    assert load_checkpoint(ckpt).meta["steps_done"] == 4  # the last checkpoint before the bad step, intact


def _interrupt(cmd: list[str], ckpt, sig) -> tuple[int, str]:
    """Start ``cmd``, wait for its first checkpoint, send ``sig``; return (exit code, stderr)."""
    seen = ckpt.stat().st_mtime_ns if ckpt.exists() else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120  # a new checkpoint shows the loop and its handlers are running
    while time.time() < deadline and (not ckpt.exists() or ckpt.stat().st_mtime_ns == seen):
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_saves_checkpoint_on_signal_and_resumes(tmp_path, sig):
    _, noisy = noisy_set(n=2)
    for i, x in enumerate(noisy):
        io.write_image(tmp_path / "in" / f"{i}.tif", x[0])
    run = tmp_path / "run"
    ckpt = run / "checkpoint.safetensors"
    cmd = [sys.executable, "-m", "noise2info.cli", "train", str(tmp_path / "in"), "--out", str(run)]
    cmd += tiny_train_args(steps=100000, k_t=1000, checkpoint_every=1)

    code, err = _interrupt(cmd, ckpt, sig)
    assert code == 128 + sig, err[-2000:]
    assert "checkpoint saved" in err and "--resume" in err
    first = int(re.search(r"interrupted at step (\d+)", err).group(1))
    assert load_checkpoint(ckpt).meta["steps_done"] == first and 0 < first < 100000
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.safetensors", "config.json"]

    # the same command with --resume goes on from there
    code, err = _interrupt([*cmd, "--resume"], ckpt, sig)
    assert code == 128 + sig, err[-2000:]
    second = int(re.search(r"interrupted at step (\d+)", err).group(1))
    assert second > first
    assert load_checkpoint(ckpt).meta["steps_done"] == second

    # asking for other settings on resume is refused with the reason, and nothing changes
    res = subprocess.run([*cmd, "--seed", "7", "--resume"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "training.seed: 0 -> 7" in res.stderr
    assert load_checkpoint(ckpt).meta["steps_done"] == second

    # without --resume, an existing run is never overwritten
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "already holds a run" in res.stderr
