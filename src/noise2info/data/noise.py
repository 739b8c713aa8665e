"""Noise models of the paper's experiments (method.md), applied to clean images in [0, 1],
and sigma_n, the noise std in the normalised units the method works in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

NOISE_KINDS = ("hanzi", "gaussian", "poisson-gaussian", "pepper")


@dataclass(frozen=True)
class NoiseModel:
    """One of the paper's noise models.

    kind : 'gaussian'          X = Y + N(0, std^2)                       (Table 4; BSD68)
           'hanzi'             X = clip(Y + N(0, std^2) with a fraction p of pixels set to 0, 0, 1)
           'poisson-gaussian'  X = a * Poisson(Y) + N(0, b^2)              (Table 5)
           'pepper'            X = Y with a fraction p of pixels set to 0  (Table 5)
    """

    kind: str
    std: float = 0.0
    p: float = 0.0
    a: float = 1.0
    b: float = 0.0
    clip: bool = False

    def __post_init__(self):
        if self.kind not in NOISE_KINDS:
            raise ConfigError(f"unknown noise model {self.kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        for name, ok, rule in (
            ("std", self.std >= 0, ">= 0"),
            ("b", self.b >= 0, ">= 0"),
            ("a", self.a > 0, "> 0"),
            ("p", 0 <= self.p <= 1, "in [0, 1]"),
        ):
            if not ok:
                raise ConfigError(f"noise {name} must be {rule}, not {getattr(self, name)}")

    def apply(self, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Noisy version of ``clean`` (float64), drawn from ``rng``."""
        y = np.asarray(clean, dtype=np.float64)
        if self.kind == "gaussian":
            x = y + rng.normal(0.0, self.std, y.shape)
        elif self.kind == "hanzi":
            x = y + rng.normal(0.0, self.std, y.shape)
            x[rng.random(y.shape) < self.p] = 0.0
            x = np.clip(x, 0.0, 1.0)
        elif self.kind == "poisson-gaussian":
            x = self.a * rng.poisson(np.clip(y, 0, None)) + rng.normal(0.0, self.b, y.shape)
        else:
            x = y.copy()
            x[rng.random(y.shape) < self.p] = 0.0
        return np.clip(x, 0.0, 1.0) if self.clip else x

    def describe(self) -> str:
        return {
            "gaussian": f"Gaussian std {self.std:g}",
            "hanzi": f"Gaussian std {self.std:g} + Bernoulli p = {self.p:g} set to 0, clipped",
            "poisson-gaussian": f"Poisson-Gaussian a = {self.a:g}, b = {self.b:g}",
            "pepper": f"pepper p = {self.p:g}",
        }[self.kind]


def add_noise(clean: list[np.ndarray], model: NoiseModel, seed: int) -> list[np.ndarray]:
    """Apply ``model`` to every image with one seeded generator (same seed, same noise)."""
    rng = np.random.default_rng(seed)
    return [model.apply(y, rng) for y in clean]


def normalised_noise_std(clean: list[np.ndarray], noisy: list[np.ndarray]) -> float:
    """sigma_n: std of the noise X - Y over all pixels after each image's own normalisation.

    Each image's noise is divided by the std of that noisy image (method.md, 'Setting'), so
    sigma_n is in the units of sigma_loss. For signal-dependent noise, X - Y includes the
    change of mean (the paper's Table 5 reports 10.32 for Poisson-Gaussian B that way).
    """
    parts = []
    for y, x in zip(clean, noisy, strict=True):
        x = np.asarray(x, dtype=np.float64)
        std = x.std() or 1.0
        parts.append(((x - y) / std).ravel())
    return float(np.concatenate(parts).std())
