"""The schema of the user's settings: ``Config`` and its parts, saved as ``config.json``.

``Config`` holds three parts: ``model`` (the U-Net), ``method`` (one class per training
method, each with only its own settings: a discriminated union on ``name``) and
``training`` (optimiser, loop and the pipeline's switches). Defaults that depend on the run
length (the sigma-round schedule, the lr decay) are resolved when the config is validated, and
the numbers are what ``config.json`` stores, so a resumed or reloaded run never depends on a
later formula. What a run measures on its data is not a setting: it is the run's
:class:`~noise2info.plan.Plan` (``plan.json``). Old files are upgraded on load
(:mod:`noise2info.config.migrations`).
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .migrations import upgrade

CONFIG_VERSION = 11
MIN_ESTIMATION_PATCHES = 256
FIRST_ROUND_MIN = 10  # training steps before the first sigma round, at the least
DEFAULT_PRESET = "cpu"

# Network presets: ``paper`` is the reference set-up of method.md: "depth 3" in the paper's
# counting is 3 levels, 2 downsamplings (our depth 2), 96 / 192 / 384 features, about 5 M
# parameters; ``cpu`` trains usefully in minutes on two cores.
PRESETS: dict[str, dict] = {
    "paper": {"depth": 2, "base_features": 96, "res_blocks": 1},
    "cpu": {"depth": 2, "base_features": 32, "res_blocks": 1},
    "tiny": {"depth": 2, "base_features": 8, "res_blocks": 1},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    """The U-Net: enough to rebuild it from JSON."""

    dims: Literal[2, 3] = Field(2, description="3: stacks are volumes; 2: stack pages are separate images")
    channels: int = Field(1, ge=1, le=64, description="channels per image (taken from the data)")
    depth: int = Field(2, ge=1, le=6, description="U-Net downsamplings (overrides the preset)")
    base_features: int = Field(
        32, ge=2, le=512, description="features of the first level (overrides the preset)"
    )
    res_blocks: int = Field(1, ge=1, le=8, description="residual blocks per level (overrides the preset)")
    channels_apart: bool = Field(
        False,
        description="one grey network denoises each channel as an image of its own (decided by "
        "training.colour; taken from the run)",
    )

    @property
    def network_channels(self) -> int:
        """The channels the convolutions see: one where each channel is denoised apart."""
        return 1 if self.channels_apart else self.channels

    @property
    def grey(self) -> ModelConfig:
        """The one-channel network this one runs on each channel (the shipped start's shape)."""
        return self.model_copy(update={"channels": 1, "channels_apart": False})

    @property
    def multiple(self) -> int:
        """Spatial sizes must be multiples of this (one stride-2 step per level)."""
        return 2**self.depth


class MaskingConfig(_Strict):
    """J-invariant masking (method.md, 'J-invariant masking')."""

    percent: float = Field(0.5, gt=0.0, le=50.0, description="percent of pixels masked, one per box")
    replacement: Literal["gaussian", "donut"] = Field(
        "gaussian", description="masked-pixel value: gaussian N(0, std^2) or donut (neighbour mean)"
    )
    gaussian_std: float = Field(0.2, gt=0.0, description="std of the gaussian replacement")
    block: int | None = Field(
        None,
        ge=1,
        le=9,
        description="side of the block replaced around each masked pixel: 1 for independent noise, "
        "3 for noise correlated between neighbours (camera, JPEG); auto: 3 where the noise reads "
        "correlated (noise2info.correlation), else 1",
    )

    @model_validator(mode="after")
    def _odd_block(self):
        if self.block is not None and self.block % 2 == 0:
            raise ValueError(f"block must be odd (a block centred on the masked pixel), not {self.block}")
        return self


class TrainingConfig(_Strict):
    """The optimiser and the loop, the same for every method."""

    steps: int = Field(2000, ge=1, description="training steps")
    batch_size: int = Field(16, ge=1, description="patches per step")
    patch_size: int = Field(64, ge=4, description="side of the square (cubic) patches")
    lr: float = Field(4e-4, gt=0.0, description="Adam learning rate")
    lr_decay_every: int | None = Field(
        None, ge=1, description="halve the lr every N steps (default min(5000, steps/3))"
    )
    log_every: int = Field(10, ge=1, description="steps between history records")
    checkpoint_every: int = Field(
        500, ge=1, description="steps between resumable checkpoints (also written on Ctrl-C / SIGTERM)"
    )
    amp: bool = Field(True, description="bf16 mixed precision on GPUs that support it")
    compile: bool = Field(False, description="torch.compile the network (GPU; slow to start)")
    seed: int = Field(0, description="every random draw follows it: same seed, same model")
    augment: bool = Field(True, description="random rotations and flips of the patches")
    init: Literal["auto", "pretrained", "random"] = Field(
        "auto",
        description="starting weights: pretrained (shipped, dead leaves; the start trained on "
        "camera-pipeline noise where the noise reads correlated, else the Gaussian one), random, "
        "or auto (pretrained where the package ships weights for the network)",
    )
    colour: Literal["auto", "apart", "together"] = Field(
        "auto",
        description="images of several channels: apart (one grey network denoises each channel as "
        "an image of its own, starting from a shipped grey start), together (one network sees "
        "all channels), or auto (apart where the package ships a start for the grey network)",
    )
    vst: Literal["auto", "gat", "none"] = Field(
        "auto",
        description="variance stabilisation of signal-dependent noise: gat (generalized Anscombe "
        "transform before training and prediction, inverted after), none, or auto (gat when "
        "the noise level fitted from the images changes with intensity)",
    )
    vst_a: float | None = Field(
        None, gt=0.0, description="gain a of variance = a * intensity + b^2 (default: fitted)"
    )
    vst_b: float | None = Field(
        None, ge=0.0, description="offset b of variance = a * intensity + b^2 (default: fitted)"
    )
    pd_stride: int | None = Field(
        None,
        ge=1,
        le=8,
        description="pixel-shuffle downsampling for spatially correlated noise (demosaiced camera "
        "data): train and denoise on the sub-images of every s-th pixel; 1 off (default: auto, "
        "1 after measuring the noise's correlation; the summary advises 2 where it reads "
        "correlated)",
    )
    line_noise: Literal["auto", "rows", "columns", "both", "none"] = Field(
        "auto",
        description="row / column offsets (line noise: sCMOS patterns, scan stripes), which a "
        "blind-spot network keeps: denoise removes those of the given lines after the network; "
        "auto reads them on the training images (noise2info.lines)",
    )
    correlation: Literal["auto", "none"] = Field(
        "auto",
        description="the noise's correlation between neighbours (camera, JPEG): auto measures it "
        "where pd_stride or the masked block is auto, and where it reads correlated masks blocks "
        "and reads each image's noise std corrected for it (noise2info.correlation); none treats "
        "the noise as independent",
    )

    @model_validator(mode="after")
    def _resolve(self) -> TrainingConfig:
        # The paper halves every 5,000 steps. Scaling that to a short run (steps / 10) stalls it:
        # 600-step CPU runs gained up to 2.5 dB with steps / 3 (docs/notes/benchmarks.md).
        if self.lr_decay_every is None:
            self.lr_decay_every = max(1, min(5_000, round(self.steps / 3)))
        return self


# -- the methods: each its own settings, its objective and its capabilities ------------------


class MethodConfig(_Strict):
    """Base of a method's settings. A subclass names its method (``name``), holds only the
    fields that method uses, and builds its objective; the trainer asks the objective what
    it needs (clean targets, masks, sigma rounds) instead of comparing names."""

    name: str

    def build_objective(self):
        raise NotImplementedError

    def resolve(self, training: TrainingConfig) -> MethodConfig:
        """Fill defaults that depend on the run (a copy); most methods have none."""
        return self


class Noise2InfoMethod(MethodConfig):
    """Noise2Same's objective with sigma_loss lowered by Algorithm 1 every k_t steps. Donut
    masking by default, the paper's better variant (Noise2Info-D; measured here too:
    docs/notes/benchmarks.md, "Schedule and masking")."""

    name: Literal["noise2info"] = "noise2info"
    masking: MaskingConfig = MaskingConfig(replacement="donut")
    k_t: int | None = Field(
        None, ge=1, description="training steps between sigma rounds (default: paper ratio)"
    )
    k_u: int | None = Field(
        None, ge=1, description="estimation batches per sigma round (default: paper ratio)"
    )
    first_round: int | None = Field(
        None, ge=1, description="training steps before the first sigma round (default: 2 % of steps)"
    )
    k_mc: int = Field(10, ge=1, description="Monte-Carlo draws for E_l")
    refine: Literal["auto", "posterior", "sure", "none"] = Field(
        "auto",
        description="what follows Algorithm 2: posterior (prediction weighs the network against "
        "each noisy pixel with the estimated noise std), sure (a second training stage: SURE "
        "with each patch's noise readout), auto (at refine_after, posterior where its estimated "
        "gain is at least POSTERIOR_MIN_GAIN_DB, else sure) or none (the paper)",
    )
    refine_after: int | None = Field(
        None,
        ge=0,
        description="steps before the second stage, or before auto chooses (default: half the steps)",
    )

    def build_objective(self):
        from ..objectives.base import SigmaSchedule
        from ..objectives.noise2info import Noise2Info

        schedule = SigmaSchedule(self.k_t, self.k_u, self.k_mc, self.first_round)
        # "auto": the trainer decides at refine_after (Trainer.choose_refinement).
        return Noise2Info(schedule, refine_after=self.refine_after if self.refine == "sure" else None)

    def resolve(self, training: TrainingConfig) -> Noise2InfoMethod:
        k_t, k_u, first = sigma_schedule(
            training.steps, training.batch_size, self.k_t, self.k_u, self.first_round
        )
        after = self.refine_after
        if self.refine in ("sure", "auto") and after is None:
            after = training.steps // 2  # measured: docs/notes/benchmarks.md, "Second stage"
        return self.model_copy(update={"k_t": k_t, "k_u": k_u, "first_round": first, "refine_after": after})


class Noise2SameMethod(MethodConfig):
    """Noise2Same: L_in + 2 sigma L_ex with a fixed sigma (1, or the true sigma_n as oracle)."""

    name: Literal["noise2same"] = "noise2same"
    masking: MaskingConfig = MaskingConfig()
    sigma: float = Field(1.0, gt=0.0, description="fixed sigma_loss of noise2same")

    def build_objective(self):
        from ..objectives.noise2same import Noise2Same

        return Noise2Same(self.sigma)


class Noise2SelfMethod(MethodConfig):
    """The blind spot (Noise2Self / Noise2Void). Donut replacement by default: a replaced pixel
    that looks like its neighbours keeps the network from learning to tell masked pixels
    apart, so at test time (nothing masked) it does not copy the noisy centre (measured:
    docs/notes/benchmarks.md, 'Method defaults')."""

    name: Literal["noise2self"] = "noise2self"
    masking: MaskingConfig = MaskingConfig(replacement="donut")

    def build_objective(self):
        from ..objectives.blindspot import BlindSpot

        return BlindSpot()


class SupervisedMethod(MethodConfig):
    """Training on clean targets (the ceiling in benchmarks)."""

    name: Literal["supervised"] = "supervised"

    def build_objective(self):
        from ..objectives.supervised import Supervised

        return Supervised()


# Every method's settings class, once: the CLI's --method choices and config.json follow.
Method = Annotated[
    Union[  # noqa: UP007
        Noise2InfoMethod,
        Noise2SameMethod,
        Noise2SelfMethod,
        SupervisedMethod,
    ],
    Field(discriminator="name"),
]
METHODS: dict[str, type[MethodConfig]] = {
    cls.model_fields["name"].default: cls for cls in typing.get_args(typing.get_args(Method)[0])
}


def sigma_schedule(
    steps: int,
    batch_size: int,
    k_t: int | None = None,
    k_u: int | None = None,
    first_round: int | None = None,
) -> tuple[int, int, int]:
    """Noise2Info's round schedule ``(k_t, k_u, first_round)`` for a run; given values are kept.

    The paper: a sigma round every 1,000 steps made of k_t = 900 training steps and k_u = 100
    estimation batches (of 64), over 50,000 (80,000 for BSD68) steps; the first round after
    900 steps, under 2 % of the run. A run of 50,000 steps or more takes the paper's numbers.
    A shorter run:

    - k_u is set by the patches a round needs, not by k_t: at least MIN_ESTIMATION_PATCHES
      (sigma_loss follows the running minimum of the rounds' estimates, so a noisy estimate
      would bias it low), and the paper's 100 batches per 50,000 steps when that is more.
    - k_t keeps the paper's 9:1 ratio of training steps to estimation batches (a round then
      costs about a tenth of the steps before it), at most steps / 3 (so even a short run
      lowers sigma_loss a few times) and at most 900. In a run so short that this caps k_t,
      k_u is capped at 3 k_t (a round costs at most the steps before it).
    - The first round comes after 2 % of the steps, at least FIRST_ROUND_MIN: F gives a
      useful bound after a few dozen steps (measured: sigma* 0.73 after 10 steps, 0.69 after
      20, true 0.61; docs/notes/benchmarks.md, "Schedule and masking"), and until then the loss trains at
      sigma_loss = 1.
    """
    floor = math.ceil(MIN_ESTIMATION_PATCHES / batch_size)
    if k_u is None:
        k_u = max(floor, min(100, math.ceil(steps * 100 / 50_000)))
    if k_t is None:
        paper = min(900, round(steps * 900 / 50_000))
        k_t = max(1, min(max(paper, 9 * k_u), steps // 3, 900))
        k_u = min(k_u, 3 * k_t)
    if first_round is None:
        first_round = min(k_t, max(FIRST_ROUND_MIN, math.ceil(steps * 0.02)))
    return k_t, k_u, first_round


class Config(_Strict):
    """Everything a run needs; saved as ``config.json`` in the run folder."""

    version: int = CONFIG_VERSION
    model: ModelConfig = ModelConfig()
    method: Method = Field(default_factory=Noise2InfoMethod)
    training: TrainingConfig = TrainingConfig()

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data):
        if not isinstance(data, dict):
            return data
        return upgrade(data)

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
        self.method = self.method.resolve(self.training)
        return self

    @property
    def masking(self) -> MaskingConfig | None:
        """The method's masking, or None for a method that masks nothing."""
        return getattr(self.method, "masking", None)
