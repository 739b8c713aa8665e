"""The Hanzi dataset of the paper: 64x64 grey renders of Chinese characters in [0, 1],
white on black, split 9:1 into train and test, with one of the paper's noise models.
"""

from __future__ import annotations

import functools
import glob
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import io
from ..errors import Noise2InfoError
from .noise import NoiseModel, add_noise, normalised_noise_std

ALL_CHARS = 13029  # the paper's Hanzi set: every character, 9:1 into train and test
CJK_FIRST = 0x4E00  # CJK Unified Ideographs
CJK_LAST = 0x9FFF
# Where common CJK fonts live on Linux, macOS and Windows.
FONT_PATTERNS = (
    "/usr/share/fonts/**/wqy-*.tt[cf]",
    "/usr/share/fonts/**/Noto*CJK*.tt[cf]",
    "/usr/share/fonts/**/SourceHan*.[ot]t[cf]",
    "/usr/share/fonts/**/*[Dd]roid*[Ff]allback*.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.tt[cf]",
    "C:/Windows/Fonts/simhei.ttf",
)


def find_cjk_font() -> Path:
    """A CJK font installed on this system, or a clear error saying how to give one."""
    for pattern in FONT_PATTERNS:
        hits = sorted(glob.glob(pattern, recursive=True))
        if hits:
            return Path(hits[0])
    raise Noise2InfoError(
        "no CJK font found on this system; pass one with --font (e.g. WenQuanYi Micro Hei or Noto Sans CJK)"
    )


def render_hanzi(font_path: str | Path, n_chars: int, size: int = 64) -> tuple[list[str], np.ndarray]:
    """Render the first ``n_chars`` CJK ideographs that the font has.

    Returns
    -------
    chars : list of str
    images : np.ndarray, shape (n, size, size), float32 in [0, 1], white glyph on black
    """
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(str(font_path), int(size * 0.8))
    except OSError as err:
        raise Noise2InfoError(f"{font_path}: cannot load font ({err})") from None

    def draw(ch: str) -> np.ndarray:
        im = Image.new("L", (size, size), 0)
        d = ImageDraw.Draw(im)
        left, top, right, bottom = d.textbbox((0, 0), ch, font=font)
        d.text(
            ((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top), ch, fill=255, font=font
        )
        return np.asarray(im)

    missing = draw(chr(0x10FFFD))  # a private-use code point: the font's 'no glyph' box
    chars, images = [], []
    for code in range(CJK_FIRST, CJK_LAST + 1):
        glyph = draw(chr(code))
        if glyph.any() and not np.array_equal(glyph, missing):
            chars.append(chr(code))
            images.append(glyph)
            if len(chars) == n_chars:
                break
    if not chars:
        raise Noise2InfoError(f"{font_path}: the font has no CJK ideographs")
    return chars, np.stack(images).astype(np.float32) / 255.0


@functools.lru_cache(maxsize=2)
def hanzi_split(font_path: str, n_chars: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n_chars`` characters and split them 9:1 (seeded): ``(train, test)`` clean
    stacks, each in character order."""
    if n_chars < 2:
        raise Noise2InfoError(f"--chars must be at least 2 (one to train on, one to test), not {n_chars}")
    _, images = render_hanzi(font_path, n_chars)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = max(1, round(len(images) * 0.1))
    return images[np.sort(order[n_test:])], images[np.sort(order[:n_test])]


@dataclass
class HanziData:
    """Clean and noisy Hanzi, train and test, as lists of float64 ``(64, 64)`` images."""

    train_clean: list[np.ndarray]
    train_noisy: list[np.ndarray]
    test_clean: list[np.ndarray]
    test_noisy: list[np.ndarray]


def hanzi_data(font_path, n_chars: int, noise: NoiseModel, seed: int = 0) -> HanziData:
    """The Hanzi split with ``noise`` added (train noise from ``seed``, test from ``seed + 1``).

    ``noise2info data hanzi`` and the benchmark suites both use this, so the same noise model,
    character count and seed give the same data.
    """
    train, test = hanzi_split(str(font_path), n_chars, seed)
    train = [t.astype(np.float64) for t in train]
    test = [t.astype(np.float64) for t in test]
    return HanziData(train, add_noise(train, noise, seed), test, add_noise(test, noise, seed + 1))


def make_hanzi_dataset(
    out_dir: str | Path,
    font_path: str | Path,
    noise: NoiseModel,
    *,
    n_chars: int = ALL_CHARS,
    seed: int = 0,
) -> dict:
    """Write :func:`hanzi_data` as ``{train,test}_{clean,noisy}.tif`` (float32 stacks) and
    ``meta.json`` into ``out_dir``. Returns the metadata."""
    data = hanzi_data(font_path, n_chars, noise, seed)
    out = Path(out_dir)
    meta = {
        "font": Path(font_path).name,
        "chars": len(data.train_clean) + len(data.test_clean),
        "noise": noise.__dict__,
        "noise_description": noise.describe(),
        "seed": seed,
    }
    for name in ("train", "test"):
        y, x = getattr(data, f"{name}_clean"), getattr(data, f"{name}_noisy")
        io.write_image(out / f"{name}_clean.tif", np.stack(y).astype(np.float32))
        io.write_image(out / f"{name}_noisy.tif", np.stack(x).astype(np.float32))
        meta[f"{name}_count"] = len(y)
        meta[f"{name}_sigma_n"] = normalised_noise_std(y, x)
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    return meta
