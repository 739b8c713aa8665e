"""One validated configuration that flows from the CLI to the trainer and into the run directory.

The same JSON that is saved beside the weights rebuilds the model, so a run directory is
self-describing. Every field has bounds; cross-field checks say what to change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_VERSION = 1
MIN_ESTIMATION_PATCHES = 256

Method = Literal["noise2info", "noise2same", "noise2self", "supervised"]
Replacement = Literal["gaussian", "donut"]

# Network presets: ``paper`` is the reference set-up of method.md (depth 3, 96 features);
# ``cpu`` trains usefully in minutes on two cores.
PRESETS: dict[str, dict] = {
    "paper": {"depth": 3, "base_features": 96, "res_blocks": 1},
    "cpu": {"depth": 2, "base_features": 32, "res_blocks": 1},
    "tiny": {"depth": 2, "base_features": 8, "res_blocks": 1},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Strict):
    """The U-Net: enough to rebuild it from JSON."""

    dims: Literal[2, 3] = 2
    channels: int = Field(1, ge=1, le=64)
    depth: int = Field(2, ge=1, le=6)
    base_features: int = Field(32, ge=2, le=512)
    res_blocks: int = Field(1, ge=1, le=8)

    @property
    def multiple(self) -> int:
        """Spatial sizes must be multiples of this (one stride-2 step per level)."""
        return 2**self.depth


class MaskingConfig(_Strict):
    """J-invariant masking (method.md, 'J-invariant masking')."""

    percent: float = Field(0.5, gt=0.0, le=50.0)
    replacement: Replacement = "gaussian"
    gaussian_std: float = Field(0.2, gt=0.0)


class TrainingConfig(_Strict):
    """Algorithm 2 and its optimiser. ``None`` means 'scaled from the paper to ``steps``'."""

    method: Method = "noise2info"
    sigma: float = Field(1.0, gt=0.0, description="fixed sigma_loss for method noise2same")
    steps: int = Field(2000, ge=1)
    batch_size: int = Field(16, ge=1)
    patch_size: int = Field(64, ge=4)
    lr: float = Field(4e-4, gt=0.0)
    lr_decay_every: int | None = Field(None, ge=1)
    k_t: int | None = Field(None, ge=1, description="training steps between sigma rounds")
    k_u: int | None = Field(None, ge=1, description="estimation batches per sigma round")
    k_mc: int = Field(10, ge=1, description="Monte-Carlo draws for E_l")
    log_every: int = Field(10, ge=1)
    checkpoint_every: int = Field(500, ge=1, description="steps between resumable checkpoints")
    amp: bool = Field(True, description="bf16 mixed precision for training steps on GPUs that support it")
    compile: bool = Field(False, description="torch.compile the network for training")
    seed: int = 0
    augment: bool = True

    # The paper: 50,000 steps, lr halved every 5,000, a sigma round every 1,000 steps made of
    # k_t = 900 training steps and k_u = 100 estimation batches. Shorter runs keep the ratios,
    # but a round always sees at least MIN_ESTIMATION_PATCHES patches: sigma_loss follows the
    # running minimum of the rounds' estimates, so a noisy estimate would bias it low.
    def resolved_lr_decay_every(self) -> int:
        # The paper halves every 5,000 steps. Scaling that to a short run (steps / 10) stalls it:
        # 600-step CPU runs gained up to 2.5 dB with steps / 3 (docs/benchmarks.md).
        return self.lr_decay_every or max(1, min(5_000, round(self.steps / 3)))

    def resolved_k_u(self) -> int:
        if self.k_u:
            return self.k_u
        k_t = self.k_t or max(1, round(self.steps * 900 / 50_000))
        return max(math.ceil(k_t / 9), math.ceil(MIN_ESTIMATION_PATCHES / self.batch_size))

    def resolved_k_t(self) -> int:
        # At most steps / 3, so that even a short run lowers sigma_loss a few times.
        paper = max(round(self.steps * 900 / 50_000), 9 * self.resolved_k_u())
        return self.k_t or max(1, min(paper, self.steps // 3))


class Config(_Strict):
    """Everything a run needs; saved as ``config.json`` beside ``model.safetensors``."""

    version: int = CONFIG_VERSION
    model: ModelConfig = ModelConfig()
    masking: MaskingConfig = MaskingConfig()
    training: TrainingConfig = TrainingConfig()

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.version > CONFIG_VERSION:
            raise ValueError(
                f"config version {self.version} is newer than this noise2info understands "
                f"({CONFIG_VERSION}); upgrade noise2info"
            )
        m = self.model.multiple
        if self.training.patch_size % m:
            raise ValueError(
                f"patch_size {self.training.patch_size} must be a multiple of 2**depth = {m}; "
                f"try {max(m, self.training.patch_size // m * m)}"
            )
        return self

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Config:
        try:
            return cls.model_validate(json.loads(Path(path).read_text()))
        except (json.JSONDecodeError, ValidationError) as err:
            first = str(err).splitlines()
            raise ValueError(f"{path}: not a valid noise2info config ({' '.join(first[:3])})") from None


def make_config(
    *,
    preset: str = "cpu",
    dims: int = 2,
    channels: int = 1,
    masking: str = "gaussian",
    **training,
) -> Config:
    """A flat factory for users who do not want the nested tree.

    Parameters
    ----------
    preset : {'cpu', 'paper', 'tiny'}
        Network size (see ``PRESETS``).
    dims, channels : int
        Spatial dimensionality (2 or 3) and channel count of the images.
    masking : {'gaussian', 'donut'}
        Replacement of masked pixels.
    **training
        Any field of :class:`TrainingConfig` (``method``, ``steps``, ``seed``, ...).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    return Config(
        model=ModelConfig(dims=dims, channels=channels, **PRESETS[preset]),
        masking=MaskingConfig(replacement=masking),
        training=TrainingConfig(**training),
    )
