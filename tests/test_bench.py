"""Every benchmark suite at the quick budget (CI smoke test): shape and sanity of the output."""

import json

import numpy as np
import pytest

from helpers import cli
from noise2info.bench.methods import METHODS
from noise2info.bench.report import paper_psnr, verdicts
from noise2info.data.hanzi import render_hanzi
from noise2info.data.noise import NoiseModel, add_noise, normalised_noise_std

SUITE_CASES = {"bsd68": 1, "set12": 1, "hanzi": 1, "hanzi-gauss": 1, "hanzi-other": 2}
# Cases that differ only in a level keep CI's time: one of hanzi-gauss's four noise stds, and
# one of hanzi-other's two Poisson-Gaussian levels beside its pepper noise.
ONLY = {"hanzi-gauss": ["s'=0.3"], "hanzi-other": ["poisson-gaussian-B", "pepper"]}


@pytest.mark.slow
@pytest.mark.parametrize("suite", list(SUITE_CASES))
def test_suite_quick_budget(suite, shared_data, tmp_path):
    font = shared_data.parent / "fonts" / "wqy-microhei.ttc"
    out = tmp_path / suite
    res = cli(
        *[
            "bench",
            suite,
            "--budget",
            "quick",
            "--out",
            str(out),
            "--data",
            str(shared_data),
            "--font",
            str(font),
            "--quiet",
            "--json",
            *[arg for case in ONLY.get(suite, []) for arg in ("--case", case)],
        ],
    )
    assert res.exit_code == 0, res.output
    results = json.loads(res.output.strip().splitlines()[-1])
    assert {p.name for p in out.iterdir()} == {"results.json", "results.md", "sigma.png"}
    assert len(results["cases"]) == SUITE_CASES[suite]
    assert [c["name"] for c in results["cases"]] == ONLY.get(suite, [c["name"] for c in results["cases"]])
    for case in results["cases"]:
        assert [m["method"] for m in case["methods"]] == [m.name for m in METHODS]
        noisy = case["noisy"]["psnr"]
        for m in case["methods"]:
            if m["method"].endswith("fine-tuned)"):  # the tiny preset has no shipped weights
                assert "psnr" not in m and "no shipped weights for the tiny preset" in m["note"]
                continue
            if m["method"] == "noise2info (default, as if independent)":  # real-sim only
                assert "psnr" not in m and "not run: for real suites" in m["note"]
                continue
            if suite in ("bsd68", "set12"):  # peak 255 first, the max(Y) figure beside it
                assert case["psnr_peak"] == "255 on 0..255" and m["psnr"] != m["psnr_max_y"]
            if m["kind"] == "learned":
                assert m["psnr"] > noisy, (case["name"], m["method"], m["psnr"], noisy)
                assert 0 < m["ssim"] <= 1 and m["train_seconds"] > 0
        n2i = [m for m in case["methods"] if m["method"].startswith("noise2info") and "psnr" in m]
        for m in n2i:  # sigma_loss is 1 lowered to each round's sigma* when smaller
            stars = [s for _, s in m["sigma_star_curve"] if s is not None]
            assert m["sigma_loss"] == min([1.0, *stars]) == m["sigma_curve"][-1][1]
        assert case["sigma_n_train"] > 0
    md = (out / "results.md").read_text()
    assert "| noise2info-D |" in md and "sigma_n" in md


def test_noise_models_statistics():
    rng_img = [np.full((64, 64), 0.5)]
    g = add_noise(rng_img, NoiseModel("gaussian", std=0.3), 0)[0]
    assert abs(g.std() - 0.3) < 0.01
    h = add_noise(rng_img, NoiseModel("hanzi", std=0.7, p=0.25), 0)[0]
    assert h.min() >= 0 and h.max() <= 1 and (h == 0).mean() > 0.25
    p = add_noise(rng_img, NoiseModel("pepper", p=0.25), 0)[0]
    assert abs((p == 0).mean() - 0.25) < 0.03 and set(np.unique(p)) == {0.0, 0.5}
    pg = add_noise([np.full((64, 64), 20.0)], NoiseModel("poisson-gaussian", a=1.0, b=0.0), 0)[0]
    assert abs(pg.mean() - 20) < 0.5 and abs(pg.var() - 20) < 2
    assert np.array_equal(
        add_noise(rng_img, NoiseModel("gaussian", std=0.3), 5)[0],
        add_noise(rng_img, NoiseModel("gaussian", std=0.3), 5)[0],
    )


def test_sigma_n_matches_the_paper_formula():
    # Table 4: sigma_n = s' / sqrt(s'^2 + std(Y)^2) for Gaussian noise on one image
    rng = np.random.default_rng(0)
    y = [rng.uniform(0, 1, (256, 256))]
    x = add_noise(y, NoiseModel("gaussian", std=0.5), 1)
    expected = 0.5 / np.sqrt(0.5**2 + y[0].std() ** 2)
    assert normalised_noise_std(y, x) == pytest.approx(expected, rel=0.01)


def test_render_hanzi(shared_data):
    font = shared_data.parent / "fonts" / "wqy-microhei.ttc"
    chars, images = render_hanzi(font, 20)
    assert len(chars) == 20 and chars[0] == "\u4e00"
    assert images.shape == (20, 64, 64) and images.min() == 0 and images.max() == 1
    assert len({im.tobytes() for im in images}) == 20  # all different glyphs


def test_data_hanzi_command(shared_data, tmp_path):
    font = shared_data.parent / "fonts" / "wqy-microhei.ttc"
    res = cli(*["data", "hanzi", "--out", str(tmp_path), "--font", str(font), "--chars", "30", "--json"])
    assert res.exit_code == 0, res.output
    meta = json.loads(res.output.strip().splitlines()[-1])
    assert (meta["train_count"], meta["test_count"]) == (27, 3)
    from noise2info import io

    clean, noisy = io.read_image(tmp_path / "train_clean.tif"), io.read_image(tmp_path / "train_noisy.tif")
    assert clean.shape == noisy.shape == (27, 64, 64) and noisy.dtype == np.float32


def test_missing_font_is_a_clear_error(tmp_path):
    res = cli(*["data", "hanzi", "--out", str(tmp_path), "--font", str(tmp_path / "no.ttf")])
    assert res.exit_code == 2 and "cannot load font" in res.output


def test_psnr_with_a_fixed_peak_is_the_papers_bsd68_figure():
    from noise2info.bench.metrics import psnr_ssim

    y = np.full((32, 32), 0.5)
    y[0, 0] = 0.8  # max(Y) = 0.8: the max(Y) figure differs from the peak-255 one
    pred = y + 0.01
    pred[1, 1] = 1.5  # clipped to the peak, as an 8-bit output would be
    mse = ((np.clip(pred, 0, 1) - y) ** 2).mean()
    assert psnr_ssim(y, pred, peak=1.0)[0] == pytest.approx(10 * np.log10(1 / mse))
    mse_max = ((np.clip(pred, 0, 0.8) - y) ** 2).mean()
    assert psnr_ssim(y, pred)[0] == pytest.approx(10 * np.log10(0.8**2 / mse_max))


def test_report_helpers():
    assert paper_psnr("bsd68", "bsd68", "noise2info-D") == 27.74
    assert paper_psnr("hanzi-gauss", "s'=0.3", "noise2same-R (sigma_loss=1)") == 23.55
    case = {
        "sigma_n_train": 0.5,
        "methods": [
            {"method": "noise2info-R", "psnr": 27.0, "sigma_loss": 0.51},
            {"method": "noise2same-R (sigma_loss=1)", "psnr": 26.5},
            {"method": "BM3D (oracle sigma)", "psnr": 28.0},
        ],
    }
    text = "\n".join(verdicts(case))
    assert "+2.0 %, within 5 %" in text and "+0.50 dB (at least as good)" in text and "-1.00 dB" in text
    case["methods"] += [
        {"method": "noise2info (default)", "psnr": 27.5, "sigma": 0.52},
        {"method": "noise2self-D", "psnr": 27.2},
        {"method": "supervised", "psnr": 28.1},
    ]
    text = "\n".join(verdicts(case))
    assert "sigma (readout) 0.5200 vs sigma_n 0.5000 (+4.0 %, outside 3 %)" in text
    assert "vs noise2self-D: +0.30 dB (target +0.2 dB: met)" in text
    assert "vs supervised: -0.60 dB (target -0.5 dB: not met)" in text
    case["methods"] += [
        {"method": "noise2info (default, fine-tuned)", "psnr": 29.0},
        {"method": "noise2self-D (fine-tuned)", "psnr": 29.1},
    ]
    text = "\n".join(verdicts(case))
    assert "(default, fine-tuned) vs noise2self-D (fine-tuned): -0.10 dB (target +0.2 dB: not met)" in text
    assert "(default, fine-tuned) vs supervised: +0.90 dB (target -0.5 dB: met)" in text
    assert "(default) vs noise2self-D (fine-tuned)" not in text  # scratch is judged against scratch
    case["sigma_images"] = 0.507
    assert "sigma from the training images alone: 0.5070 vs sigma_n 0.5000 (+1.4 %, within 3 %)" in "\n".join(
        verdicts(case)
    )


def test_data_bsd68_command(shared_data, tmp_path):
    res = cli(*["data", "bsd68", "--data", str(shared_data), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    from noise2info import io

    for sub, n in (("bsd400", 400), ("bsd68", 68), ("set12", 12)):
        noisy = sorted((tmp_path / sub / "noisy").iterdir())
        assert len(noisy) == n
    y = io.read_image(tmp_path / "set12" / "clean" / "01.tif")
    x = io.read_image(tmp_path / "set12" / "noisy" / "01.tif")
    assert x.dtype == np.float32 and abs((x - y).std() - 25 / 255) < 0.005 and x.min() < 0  # not clipped


def test_an_interrupted_suite_resumes_without_training_again(tmp_path, monkeypatch):
    from noise2info.bench import runner
    from noise2info.bench.methods import Outcome
    from noise2info.bench.suites import Case
    from noise2info.errors import ConfigError

    rng = np.random.default_rng(0)
    clean = [rng.random((32, 32)).astype(np.float32) for _ in range(2)]
    noisy = [c + 0.1 * rng.standard_normal(c.shape).astype(np.float32) for c in clean]
    case = Case("fake", "one", "bsd", NoiseModel("gaussian", std=0.1), clean, noisy, clean, noisy)
    monkeypatch.setitem(runner.SUITES, "fake", lambda *a: [case])
    calls = []

    def fake_method(m, case, budget, seed):
        if m.name == "supervised" and not calls.count("resumed"):
            raise KeyboardInterrupt  # the session ends during the second method
        calls.append(m.name)
        return Outcome([x * 0.5 for x in case.test_noisy], 1.0, 0.1)

    monkeypatch.setattr(runner, "run_method", fake_method)
    chosen = ["noise2self-D", "supervised", "NLM"]  # in the order of METHODS
    with pytest.raises(KeyboardInterrupt):
        runner.run_suite("fake", out_dir=tmp_path, methods=chosen, progress=False)
    saved = json.loads((tmp_path / "partial.json").read_text())
    assert [r["method"] for r in saved["cases"][0]["methods"]] == ["noise2self-D"]
    with pytest.raises(ConfigError, match="seed=1"):  # another run's rows are never mixed in
        runner.run_suite("fake", out_dir=tmp_path, methods=chosen, seed=1, resume=True, progress=False)

    calls.append("resumed")
    res = runner.run_suite("fake", out_dir=tmp_path, methods=chosen, resume=True, progress=False)
    assert calls == ["noise2self-D", "resumed", "supervised", "NLM"]  # not trained again
    assert [r["method"] for r in res["cases"][0]["methods"]] == chosen and res["resumed"] == 1
    assert res["cases"][0]["methods"][0] == saved["cases"][0]["methods"][0]
    assert not (tmp_path / "partial.json").exists() and (tmp_path / "results.json").is_file()
    # A finished run takes more methods: only the new one trains.
    more = runner.run_suite(
        "fake", out_dir=tmp_path, methods=[*chosen, "BM3D (estimated sigma)"], resume=True, progress=False
    )
    assert calls[-1] == "BM3D (estimated sigma)" and calls.count("NLM") == 1 and more["resumed"] == 3
    # Asking for one method again keeps every other row of the report (nothing is lost).
    empty = {**more, "cases": [{**more["cases"][0], "methods": []}]}  # an interrupted run's
    (tmp_path / "partial.json").write_text(json.dumps(empty))
    again = runner.run_suite("fake", out_dir=tmp_path, methods=["NLM"], resume=True, progress=False)
    assert calls.count("NLM") == 1  # its row was in results.json: not trained again
    assert [r["method"] for r in again["cases"][0]["methods"]] == [*chosen, "BM3D (estimated sigma)"]
    assert json.loads((tmp_path / "results.json").read_text())["cases"] == again["cases"]
    with pytest.raises(ConfigError, match="nothing to resume"):
        runner.run_suite("fake", out_dir=tmp_path / "new", methods=chosen, resume=True, progress=False)


def test_unknown_case_is_a_clear_error(shared_data):
    from noise2info.bench import run_suite
    from noise2info.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown case"):
        run_suite("set12", "quick", data_root=shared_data, cases=["nope"], progress=False)
