"""Data for training: per-image normalisation, patch sampling, noise models."""

from .normalisation import denormalise, normalise
from .patches import PatchSampler

__all__ = ["PatchSampler", "denormalise", "normalise"]
