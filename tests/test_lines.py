"""Line noise (row / column offsets): the reading from noisy images, the removal, and the
run that reads it and removes it in denoise."""

import json

import numpy as np
import pytest

from helpers import smooth_image, tiny_config
from noise2info import load_run, save_run, train
from noise2info.config import Config
from noise2info.lines import line_noise, line_offsets, remove_lines
from noise2info.plan import Plan
from noise2info.prediction import denoise


def _with_lines(shape=(96, 96), rows=0.0, columns=0.0, std=0.05, seed=0):
    rng = np.random.default_rng(seed)
    clean = smooth_image(shape, seed)
    row_off = rng.normal(0, rows, (shape[0], 1)) if rows else np.zeros((shape[0], 1))
    col_off = rng.normal(0, columns, (1, shape[1])) if columns else np.zeros((1, shape[1]))
    noisy = clean + row_off + col_off + rng.normal(0, std, shape)
    return clean, noisy, row_off.ravel(), col_off.ravel()


def test_line_offsets_recover_row_offsets_on_a_smooth_image():
    clean, noisy, rows, _ = _with_lines(rows=0.1, std=0.0)
    found = line_offsets(noisy, axis=0)
    # One reading: each offset less what the median of the 5 lines around keeps of it
    # (remove_lines reads twice).
    assert np.corrcoef(found, rows)[0, 1] > 0.75
    assert np.std(line_offsets(clean, axis=0)) < 0.01  # a smooth image has none


def test_remove_lines_takes_the_offsets_out_and_leaves_an_image_without_them():
    clean, noisy, _, _ = _with_lines(rows=0.05, columns=0.05, std=0.0)
    # what is left: offsets that vary as slowly as the median of the lines around them
    assert np.mean((remove_lines(noisy) - clean) ** 2) < 0.4 * np.mean((noisy - clean) ** 2)
    assert np.max(np.abs(remove_lines(clean) - clean)) < 0.04
    # only the directions asked for; (C, H, W) and volumes plane by plane
    only_rows = remove_lines(noisy, columns=False)
    assert np.std(line_offsets(only_rows, 0)) < 0.2 * np.std(line_offsets(only_rows, 1))
    stack = remove_lines(np.stack([noisy, noisy])[None])
    assert stack.shape == (1, 2, 96, 96) and np.allclose(stack[0, 0], remove_lines(noisy))


@pytest.mark.parametrize(
    "rows,columns,found",
    [(0.0, 0.0, []), (0.03, 0.0, ["rows"]), (0.0, 0.03, ["columns"]), (0.03, 0.03, ["rows", "columns"])],
)
def test_line_noise_reads_the_directions_that_carry_offsets(rows, columns, found):
    images = [_with_lines(rows=rows, columns=columns, seed=s)[1][None] for s in range(4)]
    reading = line_noise(images)
    assert reading["found"] == found
    for name, std in (("rows", rows), ("columns", columns)):
        assert (reading[name] > 0.5) if std else (abs(reading[name]) < 0.2)


def test_line_noise_is_not_read_in_white_noise_on_textured_images():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:96, :96]
    texture = np.sin(xx / 3.0 + yy / 5.0) * 0.3 + np.sin(xx * yy / 400.0) * 0.2  # oblique detail
    images = [(texture + rng.normal(0, 0.05, texture.shape))[None] for _ in range(3)]
    assert line_noise(images)["found"] == []


def test_a_single_8_bit_jpeg_photo_is_not_read_as_lined():
    """Quantised pixels: most quarter-line medians are the same integer and their rank
    correlation read such a photo's planes as lined (rows 1.0, columns 0.71)."""
    from noise2info.data.camera import real_sim_images

    _, _, noisy = real_sim_images("photo-jpeg", side=256)
    reading = line_noise([np.round(np.clip(noisy[0], 0, 1) * 255)])
    assert reading["found"] == []
    assert abs(reading["rows"]) < 0.2 and abs(reading["columns"]) < 0.2


def test_characters_under_salt_and_pepper_noise_are_not_read_as_lined(shared_data):
    """Strokes over a quarter of a line move the mean of its middle half (0.48 read alone);
    the median does not, and the lower of the two readings counts."""
    from noise2info.bench.budgets import BUDGETS
    from noise2info.bench.suites import SUITES

    font = shared_data.parent / "fonts" / "wqy-microhei.ttc"
    cases = SUITES["hanzi-other"](BUDGETS["quick"], shared_data, font, 0)
    pepper = next(c for c in cases if c.name == "pepper")
    assert line_noise([x[None] for x in pepper.train_noisy])["found"] == []


def test_weak_row_offsets_are_read_on_8_bit_images():
    images = [np.round(_with_lines(rows=0.01, seed=s)[1][None] * 255) for s in range(4)]
    assert line_noise(images)["found"] == ["rows"]


def test_too_small_planes_give_no_reading():
    assert line_noise([np.zeros((1, 8, 8))]) == {"rows": None, "columns": None, "found": []}


def test_a_run_reads_the_lines_removes_them_in_denoise_and_keeps_the_choice(tmp_path):
    pairs = [_with_lines(rows=0.15, columns=0.15, std=0.05, seed=s) for s in range(3)]
    images = [n[None].astype(np.float32) for _, n, _, _ in pairs]
    result = train(images, tiny_config(steps=4, k_t=2, k_u=1), progress=False)
    assert result.config.training.line_noise == "auto" and result.plan.lines == "both"
    assert result.history.readings["lines"]["found"] == ["rows", "columns"]
    clean, noisy = pairs[0][0], images[0]
    removed = denoise(result, noisy)
    kept = denoise(result, noisy, lines=False)
    assert np.mean((removed[0] - clean) ** 2) < np.mean((kept[0] - clean) ** 2)
    # the choice travels with the run, and version-9 configs keep their offsets (and masks)
    save_run(result, tmp_path / "run")
    np.testing.assert_allclose(denoise(load_run(tmp_path / "run"), noisy), removed)
    old = json.loads((tmp_path / "run" / "config.json").read_text())
    old["version"] = 9
    del old["training"]["line_noise"]
    del old["method"]["masking"]["block"]
    upgraded = Config.model_validate(old)
    assert upgraded.training.line_noise == "none" and upgraded.masking.block == 1  # as version 9 ran
    assert Plan(lines="rows").line_directions == (True, False) and Plan().line_directions == (False, False)
