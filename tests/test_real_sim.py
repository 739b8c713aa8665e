"""The real-sim test bed (issue 11): camera-like noise on scikit-image's images, and its suite."""

import json

import numpy as np
import pytest

from helpers import cli
from noise2info.correlation import noise_correlation
from noise2info.data.camera import TEST_BED, real_sim_images
from noise2info.errors import ConfigError


def test_bed_is_seeded_shaped_and_keeps_its_reference():
    names, refs, noisy = real_sim_images("camera", side=64, seed=3)
    again = real_sim_images("camera", side=64, seed=3)[2]
    other = real_sim_images("camera", side=64, seed=4)[2]
    assert len(names) == len(refs) == len(noisy) == len(TEST_BED["camera"][1])
    assert all(r.shape == x.shape == (3, 64, 64) for r, x in zip(refs, noisy, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(noisy, again, strict=True))
    assert not np.array_equal(noisy[0], other[0])
    # The reference is the noise-free path: the noise is zero-mean around it, and moderate.
    err = np.concatenate([(x - r).ravel() for r, x in zip(refs, noisy, strict=True)])
    assert abs(err.mean()) < 0.01 and 0.005 < err.std() < 0.1
    grey = real_sim_images("sensor", side=32)[2]
    assert all(x.shape == (1, 32, 32) for x in grey)


def test_bed_noise_correlation_follows_the_pipeline():
    # Demosaiced colour noise reads correlated, the plain sensor's does not.
    assert noise_correlation(real_sim_images("camera", side=128)[2])["correlated"]
    assert not noise_correlation(real_sim_images("sensor", side=128)[2])["correlated"]


def test_bed_rejects_unknown_kinds_and_odd_crops():
    with pytest.raises(ConfigError, match="unknown test-bed kind 'dslr'"):
        real_sim_images("dslr")
    with pytest.raises(ConfigError, match="even number"):
        real_sim_images("camera", side=33)


@pytest.mark.slow
def test_real_sim_suite_quick(tmp_path):
    methods = ["noise2self-D", "supervised", "NLM", "BM3D (estimated sigma)"]
    res = cli(
        "bench", "real-sim", "--budget", "quick", "--out", str(tmp_path), "--quiet", "--json",
        *[a for m in methods for a in ("--method", m)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    results = json.loads(res.output.strip().splitlines()[-1])
    assert [c["name"] for c in results["cases"]] == list(TEST_BED)
    for case in results["cases"]:
        assert case["test_images"] == case["train_images"] == len(TEST_BED[case["name"]][1])
        rows = {m["method"]: m for m in case["methods"]}
        # Trained on its own test images: a supervised run would learn the answers.
        assert "psnr" not in rows["supervised"] and "trains on its test images" in rows["supervised"]["note"]
        assert np.isfinite(rows["noise2self-D"]["psnr"]) and 0 < rows["noise2self-D"]["ssim"] <= 1
        if "psnr" in rows["BM3D (estimated sigma)"]:  # the optional bm3d package
            assert rows["BM3D (estimated sigma)"]["psnr"] > case["noisy"]["psnr"]
        assert rows["NLM"]["psnr"] > 20
