"""Prediction: the per-image pass with a run's plan (:mod:`.denoise`) over tiles planned and
stitched apart (:mod:`.tiles`); the ratings of the output live in :mod:`noise2info.rating`."""

from .denoise import denoise, image_sigmas, predict
from .tiles import plan_tiles

__all__ = ["denoise", "image_sigmas", "plan_tiles", "predict"]
