import json

import numpy as np
import pytest
import torch

from helpers import noisy_set
from noise2info import load, make_config, save_run, train
from noise2info.checkpoint import ModelFileError, load_model
from noise2info.prediction import denoise


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    _, noisy = noisy_set()
    cfg = make_config(preset="tiny", steps=6, batch_size=2, patch_size=16, k_t=3, k_u=1, log_every=2)
    result = train(noisy, cfg, progress=False)
    d = save_run(result, tmp_path_factory.mktemp("run") / "run")
    return d, result, noisy


def test_run_directory_contents(run_dir):
    d, result, _ = run_dir
    assert {p.name for p in d.iterdir()} >= {"model.safetensors", "config.json", "history.json", "curves.png"}
    history = json.loads((d / "history.json").read_text())
    assert [r["step"] for r in history["steps"]] == [2, 4, 6]
    assert [r["step"] for r in history["sigma_rounds"]] == [3, 6]
    assert all({"sigma_star", "sigma_loss"} <= set(r) for r in history["sigma_rounds"])
    assert history["sigma_loss"] == result.sigma_loss


def test_save_load_round_trip_gives_identical_predictions(run_dir):
    d, result, noisy = run_dir
    model, config = load(d, device="cpu")
    assert config == result.config
    np.testing.assert_array_equal(denoise(model, noisy[0]), denoise(result.model, noisy[0]))


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


def test_weights_file_holds_only_tensors(run_dir):
    from safetensors import safe_open

    d, _, _ = run_dir
    with safe_open(d / "model.safetensors", "pt") as f:
        assert all(isinstance(f.get_tensor(k), torch.Tensor) for k in f.keys())
