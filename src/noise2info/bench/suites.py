"""Benchmark suites: which data, which noise, which test set (method.md, Tables 2-5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.camera import TEST_BED, CameraPipeline, real_sim_images
from ..data.folders import bsd_set
from ..data.hanzi import find_cjk_font, hanzi_data
from ..data.noise import NoiseModel, normalised_noise_std
from .budgets import Budget


@dataclass
class Case:
    """One dataset + noise model: train on noisy train images, evaluate on the test images."""

    suite: str
    name: str
    family: str  # 'bsd', 'hanzi' or 'real': picks the step budget
    noise: NoiseModel | CameraPipeline  # anything with describe()
    train_clean: list[np.ndarray]
    train_noisy: list[np.ndarray]
    test_clean: list[np.ndarray]
    test_noisy: list[np.ndarray]
    paper_key: str = ""
    # PSNR, SSIM, BM3D's oracle and supervised targets use the noise-free signal at the noisy
    # image's scale, E[X | Y] = a Y for Poisson-Gaussian (method.md's X = a Poisson(Y) + N);
    # sigma_n keeps the paper's X - Y.
    signal_scale: float = 1.0
    # PSNR peak: a fixed value (BSD68 / Set12: 1 on [0, 1] images, the paper's 255 on 0..255),
    # or None for each clean image's maximum.
    peak: float | None = None
    # Trained on its own noisy test images, as a user with only noisy images would: methods
    # that need clean targets (supervised) are not run, they would learn the answers.
    trained_on_test: bool = False
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
        if getattr(self.noise, "kind", None) == "gaussian":
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
        # The same data as `noise2info data bsd68 --seed SEED` (test images cropped after
        # the noise is added, so a crop is a crop of that data).
        _, train, train_noisy = bsd_set(data_root, "bsd400", seed=seed, limit=budget.train_images)
        _, test, test_noisy = bsd_set(data_root, test_set, seed=seed, limit=budget.test_images)
        noise = NoiseModel("gaussian", std=25 / 255)  # sigma = 25 on 0..255, not clipped
        test, test_noisy = centre_crop(test, budget.crop), centre_crop(test_noisy, budget.crop)
        # The paper's BSD68 test code: peak 255 on 0..255 (1 here), no rescaling.
        return [
            Case(test_set, test_set, "bsd", noise, train, train_noisy, test, test_noisy, test_set, peak=1.0)
        ]

    return build


def _hanzi(noises: dict[str, NoiseModel], suite: str) -> Callable[..., list[Case]]:
    def build(budget: Budget, data_root: Path, font: Path | None, seed: int) -> list[Case]:
        font = font or find_cjk_font()
        cases = []
        for name, noise in noises.items():
            # The same data as `noise2info data hanzi` with this noise, --chars and --seed.
            d = hanzi_data(font, budget.hanzi_chars, noise, seed)
            keep = budget.test_images or None
            scale = noise.a if noise.kind == "poisson-gaussian" else 1.0
            cases.append(
                Case(
                    suite,
                    name,
                    "hanzi",
                    noise,
                    d.train_clean,
                    d.train_noisy,
                    d.test_clean[:keep],
                    d.test_noisy[:keep],
                    paper_key=name,
                    signal_scale=scale,
                )
            )
        return cases

    return build


def _real_sim(budget: Budget, data_root: Path, font: Path | None, seed: int) -> list[Case]:
    # Each kind of camera is one case, trained on its own noisy images (the user's
    # situation: no clean image, no other data); crops of 256 pixels keep a run near an hour.
    cases = []
    for kind, (pipeline, _) in TEST_BED.items():
        _, references, noisy = real_sim_images(kind, side=budget.crop or 256, seed=seed)
        cases.append(
            Case(
                "real-sim",
                kind,
                "real",
                pipeline,
                references,
                noisy,
                references,
                noisy,
                peak=1.0,
                trained_on_test=True,
            )
        )
    return cases


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
    "real-sim": _real_sim,
}
