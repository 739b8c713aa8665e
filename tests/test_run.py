"""The run folder: written whole by save_run, read back whole by load_run, never executing code."""

import json

import numpy as np
import pytest
import torch

from helpers import noisy_set, tiny_config
from noise2info import ModelFileError, load_run, save_run, train
from noise2info.config import CONFIG_VERSION, TrainingConfig
from noise2info.plan import Plan
from noise2info.prediction import denoise
from noise2info.run import load_config, load_model


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    _, noisy = noisy_set()
    cfg = tiny_config(log_every=2)
    result = train(noisy, cfg, progress=False)
    d = save_run(result, tmp_path_factory.mktemp("run") / "run")
    return d, result, noisy


def test_run_directory_contents(run_dir):
    d, result, _ = run_dir
    files = {"model.safetensors", "config.json", "plan.json", "history.json", "curves.png"}
    assert {p.name for p in d.iterdir()} >= files
    history = json.loads((d / "history.json").read_text())
    assert [r["step"] for r in history["steps"]] == [2, 4, 6]
    assert [r["step"] for r in history["sigma_rounds"]] == [3, 6]  # Algorithm 2 throughout
    assert all({"sigma_star", "sigma_loss"} <= set(r) for r in history["sigma_rounds"])
    assert history["sigma_loss"] == result.sigma_loss == history["sigma_rounds"][-1]["sigma_loss"]
    assert history["sigma"] == result.sigma


def test_load_run_reads_back_everything_save_run_wrote(run_dir):
    d, result, noisy = run_dir
    run = load_run(d, device="cpu")
    assert run.config == result.config and run.plan == result.plan
    assert run.history["steps"] == result.history.steps
    assert run.history["sigma_rounds"] == result.history.sigma_rounds
    assert run.sigma_loss == result.sigma_loss and run.sigma == result.sigma is not None
    np.testing.assert_array_equal(denoise(run, noisy[0]), denoise(result, noisy[0]))


def test_config_json_holds_the_resolved_schedule(run_dir):
    d, result, _ = run_dir
    saved = json.loads((d / "config.json").read_text())
    assert (saved["method"]["k_t"], saved["method"]["k_u"]) == (3, 1)
    assert saved["training"]["lr_decay_every"] == 2  # round(steps / 3), a number, not null


def test_a_version_1_run_folder_still_loads(run_dir, tmp_path):
    d, result, noisy = run_dir
    old = json.loads((d / "config.json").read_text())
    method = old.pop("method")
    old["version"] = 1
    old["masking"] = method.pop("masking")
    old["training"].update(method="noise2info", sigma=1.0, k_t=None, k_u=None, k_mc=10)
    (tmp_path / "config.json").write_text(json.dumps(old))
    (tmp_path / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes())
    run = load_run(tmp_path, device="cpu")
    single = result.config.masking.model_copy(update={"block": 1})  # version 1 masked single pixels
    assert run.config.method.name == "noise2info" and run.config.masking == single
    assert run.history == {"steps": [], "sigma_rounds": []} and run.sigma is None
    assert run.plan == Plan(mask_block=1)  # version 1 predicted with the network alone
    np.testing.assert_array_equal(denoise(run, noisy[0]), denoise(result.model, noisy[0]))


def test_a_version_10_run_folder_gets_its_plan_from_its_config(run_dir, tmp_path):
    d, result, noisy = run_dir
    old = json.loads((d / "config.json").read_text())
    old["version"] = 10  # the measured values were saved among the settings, resolved
    del old["training"]["correlation"]
    prior, lags = [[-3.2, 0.01]], {"0,1": 0.3, "1,0": 0.25}
    old["training"].update(
        vst="gat", vst_a=0.02, vst_b=0.03, pd_stride=1, line_noise="rows", noise_prior=prior, noise_lags=lags
    )
    old["method"].update(refine="posterior")
    old["method"]["masking"]["block"] = 3
    (tmp_path / "config.json").write_text(json.dumps(old))
    (tmp_path / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes())
    run = load_run(tmp_path, device="cpu")
    assert run.plan == Plan(
        init="random",
        lines="rows",
        vst=(0.02, 0.03),
        mask_block=3,
        noise_lags=lags,
        noise_prior=[tuple(prior[0])],
        refine="posterior",
    )
    assert run.config.training.correlation == "auto" and "noise_prior" not in TrainingConfig.model_fields
    assert run.config.version == CONFIG_VERSION
    # the empty correlation was version 10's switch for independent noise
    old["training"]["noise_lags"] = {}
    (tmp_path / "config.json").write_text(json.dumps(old))
    run = load_run(tmp_path, device="cpu")
    assert run.config.training.correlation == "none" and run.plan.noise_lags is None
    np.testing.assert_array_equal(denoise(run, noisy[0]), denoise(result.model, noisy[0], plan=run.plan))


def test_a_version_2_config_keeps_its_first_round_at_k_t(run_dir, tmp_path):
    d, result, _ = run_dir
    old = json.loads((d / "config.json").read_text())
    old["version"] = 2
    del old["method"]["first_round"]
    del old["training"]["init"]  # version 2 had no init
    old["method"]["k_t"] = 4
    (tmp_path / "config.json").write_text(json.dumps(old))
    cfg = load_config(tmp_path)
    assert cfg.version == CONFIG_VERSION and cfg.method.first_round == 4  # rounds at 4, 8, ... as it ran
    assert cfg.training.init == "random"  # versions before 4 started from random weights


def test_a_version_3_config_started_from_random_weights(run_dir, tmp_path):
    d, _, _ = run_dir
    old = json.loads((d / "config.json").read_text())
    old["version"] = 3
    old["model"]["base_features"] = 32  # the shape that has shipped weights: still random
    del old["training"]["init"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    cfg = load_config(tmp_path)
    assert cfg.version == CONFIG_VERSION and cfg.training.init == "random"


def test_a_version_4_config_trained_without_variance_stabilisation(run_dir, tmp_path):
    d, _, _ = run_dir
    old = json.loads((d / "config.json").read_text())
    old["version"] = 4
    for key in ("vst", "vst_a", "vst_b"):
        del old["training"][key]
    (tmp_path / "config.json").write_text(json.dumps(old))
    cfg = load_config(tmp_path)
    assert cfg.version == CONFIG_VERSION and cfg.training.vst == "none"


def test_truncated_weights_are_refused(run_dir, tmp_path):
    d, _, _ = run_dir
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((d / "config.json").read_text())
    data = (d / "model.safetensors").read_bytes()
    (bad / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="damaged weights"):
        load_model(bad)


def test_config_that_does_not_match_weights_is_refused(run_dir, tmp_path):
    d, _, _ = run_dir
    bad = tmp_path / "bad"
    bad.mkdir()
    cfg = json.loads((d / "config.json").read_text())
    cfg["model"]["base_features"] = 16
    (bad / "config.json").write_text(json.dumps(cfg))
    (bad / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(bad)


def test_newer_or_unknown_config_is_refused(run_dir, tmp_path):
    d, _, _ = run_dir
    for change, message in [({"version": 99}, "newer"), ({"surprise": 1}, "not a valid")]:
        bad = tmp_path / str(len(message))
        bad.mkdir()
        cfg = {**json.loads((d / "config.json").read_text()), **change}
        (bad / "config.json").write_text(json.dumps(cfg))
        (bad / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes())
        with pytest.raises(ModelFileError, match=message):
            load_model(bad)


def test_missing_run_dir_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="not a noise2info run directory"):
        load_model(tmp_path)


def test_weights_file_holds_only_tensors(run_dir, monkeypatch):
    import pickle
    import struct

    d, result, _ = run_dir
    raw = (d / "model.safetensors").read_bytes()
    assert not raw.startswith((b"PK\x03\x04", b"\x80"))  # neither torch.save's zip nor a pickle
    # safetensors: an 8-byte header length, a JSON header, then the tensors' bytes, nothing else
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert header.pop("__metadata__") == {"format": "pt"}
    state = result.model.state_dict()
    assert set(header) == set(state)
    spans = sorted(tuple(entry["data_offsets"]) for entry in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(raw) - 8 - n
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # no gap
    for name, entry in header.items():
        start, stop = entry["data_offsets"]
        assert entry["shape"] == list(state[name].shape)
        assert stop - start == state[name].numel() * state[name].element_size()

    # Loading the run unpickles nothing, and gives back the trained weights.
    def refuse(*args, **kwargs):
        raise AssertionError("the weights file was unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = load_run(d, device="cpu").model.state_dict()
    assert set(loaded) == set(state)
    assert all(torch.equal(loaded[k], v.cpu()) for k, v in state.items())
