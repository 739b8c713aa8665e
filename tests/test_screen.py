"""Denoising a whole screen: processes share the inputs, and a stopped job restarted with
another number of processes finishes the rest."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import cli, last_json, noisy_set, small_model
from noise2info import denoise_files, make_config
from noise2info.io import read_image, write_image
from noise2info.run import save_model


@pytest.fixture
def screen(tmp_path):
    net = small_model(depth=1, base_features=4)
    run = save_model(net, make_config(preset="tiny", depth=1, base_features=4), tmp_path / "run")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i, im in enumerate(noisy_set(7, (24, 20))[1]):
        write_image(inputs / f"well{i:02d}.tif", im[0])
    return run, inputs


def test_shards_split_the_inputs_and_skip_what_is_complete(screen, tmp_path):
    run, inputs = screen
    out = tmp_path / "out"
    first = denoise_files(run, [inputs], out, progress=False, check=False, shard=(1, 3))
    assert [p.name for p in first.written] == ["well01.tif", "well04.tif"]
    # Restarted with another world: each rank skips what is complete; together they do the rest.
    done = [denoise_files(run, [inputs], out, progress=False, check=False, shard=(r, 2)) for r in (0, 1)]
    written = sorted(p.name for d in done for p in d.written)
    assert written == ["well00.tif", "well02.tif", "well03.tif", "well05.tif", "well06.tif"]
    assert sorted(p.name for d in done for p in d.skipped) == ["well01.tif", "well04.tif"]


@pytest.mark.slow
def test_cli_nproc_finishes_a_stopped_job(screen, tmp_path):
    run, inputs = screen
    out, ref = tmp_path / "out", tmp_path / "ref"
    denoise_files(run, [inputs], out, progress=False, check=False, shard=(0, 3))  # a job stopped early
    result = cli("denoise", run, inputs, "--out", out, "--nproc", "2", "--no-check", "--json", "--quiet")
    assert result.exit_code == 0, result.output
    summary = last_json(result)
    assert len(summary["outputs"]) == 4 and summary["skipped"] == 3
    denoise_files(run, [inputs], ref, progress=False, check=False)
    for i in range(7):
        np.testing.assert_array_equal(
            read_image(out / f"well{i:02d}.tif"), read_image(ref / f"well{i:02d}.tif")
        )
