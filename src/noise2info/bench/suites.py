"""Benchmark suites: which data, which noise, which test set (method.md, Tables 2-5)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.folders import load_clean_folder
from ..data.hanzi import find_cjk_font, render_hanzi
from ..data.noise import NoiseModel, add_noise, normalised_noise_std
from .budgets import Budget


@dataclass
class Case:
    """One dataset + noise model: train on noisy train images, evaluate on the test images."""

    suite: str
    name: str
    family: str  # 'bsd' or 'hanzi': picks the step budget
    noise: NoiseModel
    train_clean: list[np.ndarray]
    train_noisy: list[np.ndarray]
    test_clean: list[np.ndarray]
    test_noisy: list[np.ndarray]
    paper_key: str = ""
    # PSNR, SSIM, BM3D's oracle and supervised targets use the noise-free signal at the noisy
    # image's scale, E[X | Y] = a Y for Poisson-Gaussian (method.md's X = a Poisson(Y) + N);
    # sigma_n keeps the paper's X - Y.
    signal_scale: float = 1.0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def sigma_n_train(self) -> float:
        """True sigma_n over the training pixels (the target of sigma_loss)."""
        if "train" not in self._cache:
            self._cache["train"] = normalised_noise_std(self.train_clean, self.train_noisy)
        return self._cache["train"]

    @property
    def test_signal(self) -> list[np.ndarray]:
        return [self.signal_scale * y for y in self.test_clean]

    @property
    def train_signal(self) -> list[np.ndarray]:
        return [self.signal_scale * y for y in self.train_clean]

    @property
    def noise_std(self) -> float:
        """Std of X - signal over the test images (BM3D's oracle sigma)."""
        if self.noise.kind == "gaussian":
            return self.noise.std
        pairs = zip(self.test_signal, self.test_noisy, strict=True)
        return float(np.concatenate([(x - y).ravel() for y, x in pairs]).std())


def centre_crop(images: list[np.ndarray], side: int | None) -> list[np.ndarray]:
    """Centre crops of at most ``side`` pixels a side (None: unchanged)."""
    if side is None:
        return images
    out = []
    for x in images:
        t, left = max(0, (x.shape[0] - side) // 2), max(0, (x.shape[1] - side) // 2)
        out.append(x[t : t + side, left : left + side])
    return out


def _bsd(test_set: str) -> Callable[..., list[Case]]:
    def build(budget: Budget, data_root: Path, font: Path | None, seed: int) -> list[Case]:
        for sub in ("bsd400", test_set):
            if not (data_root / sub).is_dir():
                raise FileNotFoundError(f"{data_root / sub}: folder of clean images not found (use --data)")
        _, train = load_clean_folder(data_root / "bsd400", budget.train_images)
        _, test = load_clean_folder(data_root / test_set, budget.test_images)
        test = centre_crop(test, budget.crop)
        noise = NoiseModel("gaussian", std=25 / 255)  # sigma = 25 on 0..255, not clipped
        return [
            Case(
                test_set,
                test_set,
                "bsd",
                noise,
                train,
                add_noise(train, noise, seed),
                test,
                add_noise(test, noise, seed + 1),
                paper_key=test_set,
            )
        ]

    return build


@functools.lru_cache(maxsize=2)
def _hanzi_split(font: str, n_chars: int, seed: int) -> tuple[tuple, tuple]:
    _, images = render_hanzi(font, n_chars)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = max(1, round(len(images) * 0.1))
    return tuple(images[np.sort(order[n_test:])]), tuple(images[np.sort(order[:n_test])])


def _hanzi(noises: dict[str, NoiseModel], suite: str) -> Callable[..., list[Case]]:
    def build(budget: Budget, data_root: Path, font: Path | None, seed: int) -> list[Case]:
        font = font or find_cjk_font()
        train, test = _hanzi_split(str(font), budget.hanzi_chars, seed)
        train = [t.astype(np.float64) for t in train]
        test = [t.astype(np.float64) for t in test][: budget.test_images or None]
        cases = []
        for i, (name, noise) in enumerate(noises.items()):
            scale = noise.a if noise.kind == "poisson-gaussian" else 1.0
            train_noisy = add_noise(train, noise, seed + 10 * i)
            test_noisy = add_noise(test, noise, seed + 10 * i + 1)
            cases.append(
                Case(
                    suite,
                    name,
                    "hanzi",
                    noise,
                    train,
                    train_noisy,
                    test,
                    test_noisy,
                    paper_key=name,
                    signal_scale=scale,
                )
            )
        return cases

    return build


SUITES: dict[str, Callable[..., list[Case]]] = {
    "bsd68": _bsd("bsd68"),
    "set12": _bsd("set12"),
    "hanzi": _hanzi({"hanzi": NoiseModel("hanzi", std=0.7, p=0.25)}, "hanzi"),
    "hanzi-gauss": _hanzi(
        {f"s'={s}": NoiseModel("gaussian", std=s) for s in (0.3, 0.5, 0.7, 0.9)}, "hanzi-gauss"
    ),
    "hanzi-other": _hanzi(
        {
            "poisson-gaussian-A": NoiseModel("poisson-gaussian", a=1.0, b=0.3),
            "poisson-gaussian-B": NoiseModel("poisson-gaussian", a=0.05, b=0.02),
            "pepper": NoiseModel("pepper", p=0.25),
        },
        "hanzi-other",
    ),
}
