"""Training objectives behind one interface (see :mod:`.base`)."""

from .base import Batch, Objective
from .blindspot import BlindSpot
from .noise2same import Noise2Same, reconstruction_and_invariance
from .supervised import Supervised


def make_objective(method: str, sigma: float = 1.0) -> Objective:
    """The objective a training method minimises.

    ``noise2info`` starts Noise2Same at sigma_loss = 1 (the trainer lowers it);
    ``noise2same`` keeps ``sigma`` fixed.
    """
    if method == "noise2info":
        return Noise2Same(1.0)
    if method == "noise2same":
        return Noise2Same(sigma)
    if method == "noise2self":
        return BlindSpot()
    if method == "supervised":
        return Supervised()
    raise ValueError(f"unknown method {method!r}")


__all__ = [
    "Batch",
    "BlindSpot",
    "Noise2Same",
    "Objective",
    "Supervised",
    "make_objective",
    "reconstruction_and_invariance",
]
