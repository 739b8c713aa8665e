"""Training: the trainer (Algorithm 2, :mod:`.trainer`), the refinement choice of
``refine auto`` (:mod:`.refine`), the checkpoint state (weights, optimiser, history, plan and
random streams, :mod:`.state`) and the time budget of ``train --time`` (:mod:`.budget`)."""

from .budget import fit_to_time
from .refine import POSTERIOR_MIN_GAIN_DB
from .trainer import (
    History,
    Trainer,
    TrainingError,
    TrainingInterrupted,
    TrainResult,
    data_fingerprint,
    train,
)

__all__ = [
    "POSTERIOR_MIN_GAIN_DB",
    "History",
    "TrainResult",
    "Trainer",
    "TrainingError",
    "TrainingInterrupted",
    "data_fingerprint",
    "fit_to_time",
    "train",
]
