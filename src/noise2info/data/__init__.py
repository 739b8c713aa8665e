"""Data for training: per-image normalisation, patch sampling, noise models."""

from .normalisation import channel_stats, denormalise, normalise
from .patches import PatchSampler

__all__ = ["PatchSampler", "channel_stats", "denormalise", "normalise"]
