"""Training objectives behind one interface (see :mod:`.base`); each method's settings class
(:mod:`noise2info.config`) builds its objective."""

from .base import Batch, Objective, SigmaSchedule, make_batch
from .blindspot import BlindSpot
from .noise2info import Noise2Info
from .noise2same import Noise2Same, reconstruction_and_invariance
from .supervised import Supervised
from .sure import Sure

__all__ = [
    "Batch",
    "BlindSpot",
    "Noise2Info",
    "Noise2Same",
    "Objective",
    "SigmaSchedule",
    "Supervised",
    "Sure",
    "make_batch",
    "reconstruction_and_invariance",
]
