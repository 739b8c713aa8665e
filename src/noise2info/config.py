"""One validated configuration that flows from the CLI to the trainer and into the run folder.

``Config`` holds three parts: ``model`` (the U-Net), ``method`` (one class per training
method, each with only its own settings: a discriminated union on ``name``) and
``training`` (optimiser and loop). Defaults that depend on the run length (the sigma-round
schedule, the lr decay) are resolved when the config is validated, and the numbers are what
``config.json`` stores, so a resumed or reloaded run never depends on a later formula.

Users who do not want the tree call :func:`make_config` with flat names (``steps=...``,
``masking='donut'``); the CLI's options are generated from the same fields (:func:`settings`),
so a default or a help text changed here reaches the command line by itself.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError

CONFIG_VERSION = 10
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
        description="starting weights: pretrained (shipped, dead leaves), random, or auto "
        "(pretrained where the package ships weights for the network)",
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
    noise_lags: dict[str, float] | None = Field(
        None,
        description="the noise's correlation between neighbours (lags 'dy,dx') where it reads "
        "correlated (default: measured when training starts); the noise std that denoise reads "
        "on each image for the posterior step and the check is corrected for it",
    )
    noise_prior: list[tuple[float, float] | None] | None = Field(
        None,
        description="each channel's log noise variance pooled over the training images and its "
        "spread between them, in intensity units as the network sees them (default: measured "
        "when training starts); the posterior step reads each image's noise against it",
    )

    @model_validator(mode="after")
    def _resolve(self) -> TrainingConfig:
        # The paper halves every 5,000 steps. Scaling that to a short run (steps / 10) stalls it:
        # 600-step CPU runs gained up to 2.5 dB with steps / 3 (docs/benchmarks.md).
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

    @property
    def posterior(self) -> bool:
        """Whether prediction weighs the network against the noisy pixel by their variances
        (:mod:`noise2info.posterior`); only for a network trained with a blind spot."""
        return False

    def resolve(self, training: TrainingConfig) -> MethodConfig:
        """Fill defaults that depend on the run (a copy); most methods have none."""
        return self


class Noise2InfoMethod(MethodConfig):
    """Noise2Same's objective with sigma_loss lowered by Algorithm 1 every k_t steps. Donut
    masking by default, the paper's better variant (Noise2Info-D; measured here too:
    docs/benchmarks.md, "Schedule and masking")."""

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

    @property
    def posterior(self) -> bool:
        return self.refine == "posterior"

    def build_objective(self):
        from .objectives.base import SigmaSchedule
        from .objectives.noise2info import Noise2Info

        schedule = SigmaSchedule(self.k_t, self.k_u, self.k_mc, self.first_round)
        # "auto": the trainer decides at refine_after (Trainer.choose_refinement).
        return Noise2Info(schedule, refine_after=self.refine_after if self.refine == "sure" else None)

    def resolve(self, training: TrainingConfig) -> Noise2InfoMethod:
        k_t, k_u, first = sigma_schedule(
            training.steps, training.batch_size, self.k_t, self.k_u, self.first_round
        )
        after = self.refine_after
        if self.refine in ("sure", "auto") and after is None:
            after = training.steps // 2  # measured: docs/benchmarks.md, "Second stage"
        return self.model_copy(update={"k_t": k_t, "k_u": k_u, "first_round": first, "refine_after": after})


class Noise2SameMethod(MethodConfig):
    """Noise2Same: L_in + 2 sigma L_ex with a fixed sigma (1, or the true sigma_n as oracle)."""

    name: Literal["noise2same"] = "noise2same"
    masking: MaskingConfig = MaskingConfig()
    sigma: float = Field(1.0, gt=0.0, description="fixed sigma_loss of noise2same")

    def build_objective(self):
        from .objectives.noise2same import Noise2Same

        return Noise2Same(self.sigma)


class Noise2SelfMethod(MethodConfig):
    """The blind spot (Noise2Self / Noise2Void). Donut replacement by default: a replaced pixel
    that looks like its neighbours keeps the network from learning to tell masked pixels
    apart, so at test time (nothing masked) it does not copy the noisy centre (measured:
    docs/benchmarks.md, 'Method defaults')."""

    name: Literal["noise2self"] = "noise2self"
    masking: MaskingConfig = MaskingConfig(replacement="donut")

    def build_objective(self):
        from .objectives.blindspot import BlindSpot

        return BlindSpot()


class SupervisedMethod(MethodConfig):
    """Training on clean targets (the ceiling in benchmarks)."""

    name: Literal["supervised"] = "supervised"

    def build_objective(self):
        from .objectives.supervised import Supervised

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
      20, true 0.61; docs/benchmarks.md, "Schedule and masking"), and until then the loss trains at
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
        if data.get("version") == 1:
            data = _upgrade_v1(data)
        if data.get("version") == 2:
            data = _upgrade_v2(data)
        if data.get("version") == 3:
            data = _upgrade_v3(data)
        if data.get("version") == 4:
            data = _upgrade_v4(data)
        if data.get("version") == 5:
            data = _upgrade_v5(data)
        if data.get("version") == 6:
            data = _upgrade_v6(data)
        if data.get("version") == 7:
            data = {**data, "version": 8}  # version 8 added training.noise_prior (None: as before)
        if data.get("version") == 8:
            data = _upgrade_v8(data)
        if data.get("version") == 9:
            data = _upgrade_v9(data)
        return data

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

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read and validate ``config.json``; a bad one is a :class:`ConfigError` naming it."""
        try:
            return cls.model_validate(json.loads(Path(path).read_text()))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}: not a valid noise2info config ({err})") from None
        except ValidationError as err:
            raise ConfigError(f"{path}: not a valid noise2info config ({explain(err)})") from None


def _upgrade_v1(data: dict) -> dict:
    """Version 1 (noise2info 0.1) kept the method and its settings in ``training`` and the
    masking at the top; move them into ``method`` so old run folders still load."""
    data = json.loads(json.dumps(data))  # a deep copy
    training = data.setdefault("training", {})
    method = {"name": training.pop("method", "noise2info")}
    for key in ("sigma", "k_t", "k_u", "k_mc"):
        value = training.pop(key, None)
        if value is not None and key in METHODS[method["name"]].model_fields:
            method[key] = value
    masking = data.pop("masking", None)
    if masking is not None and "masking" in METHODS[method["name"]].model_fields:
        method["masking"] = masking
    data.update(version=2, method=method)
    return data


def _upgrade_v2(data: dict) -> dict:
    """Version 2 ran Noise2Info's first sigma round after k_t steps, like the others, and had
    no second stage; keep that, so a version-2 run resumes exactly."""
    data = json.loads(json.dumps(data))
    method = data.get("method", {})
    if method.get("name", "noise2info") == "noise2info":
        method.setdefault("refine", "none")  # version 2 had no second stage
        if method.get("k_t") is not None:
            method.setdefault("first_round", method["k_t"])
    data["version"] = 3
    return data


def _upgrade_v3(data: dict) -> dict:
    """Version 3 always started from random weights."""
    data = json.loads(json.dumps(data))
    data.setdefault("training", {}).setdefault("init", "random")
    data["version"] = 4
    return data


def _upgrade_v4(data: dict) -> dict:
    """Version 4 trained on the images as they are (no variance stabilisation)."""
    data = json.loads(json.dumps(data))
    data.setdefault("training", {}).setdefault("vst", "none")
    data["version"] = 5
    return data


def _upgrade_v5(data: dict) -> dict:
    """Version 5's Noise2Info default was the SURE second stage, with no posterior step."""
    data = json.loads(json.dumps(data))
    method = data.get("method", {})
    if method.get("name", "noise2info") == "noise2info":
        method.setdefault("refine", "sure")
    data["version"] = 6
    return data


def _upgrade_v6(data: dict) -> dict:
    """Version 6's Noise2Info default was the posterior step, chosen without measuring."""
    data = json.loads(json.dumps(data))
    method = data.get("method", {})
    if method.get("name", "noise2info") == "noise2info":
        method.setdefault("refine", "posterior")
    data["version"] = 7
    return data


def _upgrade_v8(data: dict) -> dict:
    """Version 8 trained on the images as they are, whatever their noise's correlation."""
    data = json.loads(json.dumps(data))
    data.setdefault("training", {}).setdefault("pd_stride", 1)
    data["version"] = 9
    return data


def _upgrade_v9(data: dict) -> dict:
    """Version 9 left row and column offsets in the output and masked single pixels."""
    data = json.loads(json.dumps(data))
    data.setdefault("training", {}).setdefault("line_noise", "none")
    method = data.setdefault("method", {})
    field = METHODS[method.get("name", "noise2info")].model_fields.get("masking")
    if field is not None:
        masking = method.setdefault("masking", field.default.model_dump())
        if masking.get("block") is None:
            masking["block"] = 1
    data["version"] = 10
    return data


def line_directions(line_noise: str) -> tuple[bool, bool]:
    """``(rows, columns)``: which offsets a resolved ``line_noise`` setting removes."""
    return line_noise in ("rows", "both"), line_noise in ("columns", "both")


def explain(err: ValidationError) -> str:
    """The first problem of a validation error in the user's words."""
    first = err.errors()[0]
    loc = [str(part) for part in first["loc"]]
    if first["type"] == "extra_forbidden" and len(loc) >= 3 and loc[0] == "method":
        method, field = loc[1], loc[-1]
        own = [f for f in METHODS[method].model_fields if f != "name"] if method in METHODS else []
        return f"{field} is not a setting of method {method} (its settings: {', '.join(own) or 'none'})"
    if first["type"] == "value_error":  # our own checks: the message says it all
        return first["msg"].removeprefix("Value error, ")
    if loc[:1] == ["method"] and len(loc) > 1 and loc[1] in METHODS:
        loc = [loc[0], *loc[2:]]  # 'method.noise2same.sigma' reads as 'method.sigma'
    flat = {where: alias for alias, where in _ALIASES.items()}
    name = flat.get(tuple(loc[-2:]), loc[-1] if len(loc) > 1 else ".".join(loc))
    return f"invalid setting {name} ({'.'.join(loc)}): {first['msg']}"


# -- flat names: make_config, resume updates and the CLI options -----------------------------

# Flat name -> (section, field). Model, masking and training fields keep their names except
# where a shorter one reads better on a command line; any other name is a method's field.
_ALIASES = {
    "features": ("model", "base_features"),
    "masking": ("masking", "replacement"),
    "mask_percent": ("masking", "percent"),
    "mask_std": ("masking", "gaussian_std"),
    "mask_block": ("masking", "block"),
}
_SECTIONS = {"model": ModelConfig, "masking": MaskingConfig, "training": TrainingConfig}


def _where(name: str) -> tuple[str, str]:
    if name in _ALIASES:
        return _ALIASES[name]
    for section, cls in _SECTIONS.items():
        if name in cls.model_fields and section != "masking":
            return section, name
    if any(name in cls.model_fields for cls in METHODS.values()):
        return "method", name  # the chosen method's class says whether it takes it
    known = ", ".join(s.name for s in settings())
    raise ConfigError(f"unknown setting {name!r}; the settings are: {known}")


def _apply(tree: dict, overrides: dict) -> dict:
    """``tree`` (a config as a dict) with flat ``overrides`` written into it."""
    preset = overrides.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(sorted(PRESETS))}")
        # Explicit depth / features win over the preset's.
        overrides = {
            **{k if k != "base_features" else "features": v for k, v in PRESETS[preset].items()},
            **overrides,
        }
    name = overrides.pop("method", None)
    if name is not None and name != tree.get("method", {}).get("name"):
        tree["method"] = {"name": name}  # another method starts from its own defaults
    for key, value in overrides.items():
        section, field = _where(key)
        if section == "masking":
            method = tree.setdefault("method", {})
            if "masking" not in method:  # one masking field changed: the method's others kept
                field_info = METHODS[method.get("name", _default_method())].model_fields.get("masking")
                method["masking"] = field_info.default.model_dump() if field_info else {}
            method["masking"][field] = value
        else:
            tree.setdefault(section, {})[field] = value
    return tree


def _validated(tree: dict) -> Config:
    try:
        return Config.model_validate(tree)
    except ValidationError as err:
        raise ConfigError(explain(err)) from None


def _default_method() -> str:
    return Config.model_fields["method"].default_factory().name


def make_config(**settings) -> Config:
    """A config from flat names, for users who do not want the nested tree.

    Parameters
    ----------
    preset : {'cpu', 'paper', 'tiny'}, default 'cpu'
        Network size (see ``PRESETS``); ``depth`` / ``features`` override it.
    method : {'noise2info', 'noise2same', 'noise2self', 'supervised'}, default 'noise2info'
        The training method; its own settings (``sigma``, ``k_t``, ``k_u``, ``k_mc``,
        ``masking``, ``mask_percent``) are refused for a method that does not use them.
    **settings
        Any field of :class:`ModelConfig` or :class:`TrainingConfig` by name, ``features``
        for ``base_features``, and the method's fields.

    Raises
    ------
    ConfigError
        An unknown or out-of-range setting, or one the method does not use.

    Examples
    --------
    >>> make_config(preset="tiny", steps=300, batch_size=4).method.k_t
    100
    """
    settings = {"preset": DEFAULT_PRESET, "method": _default_method(), **settings}
    return _validated(_apply({}, settings))


def updated(config: Config, **overrides) -> Config:
    """``config`` with flat ``overrides`` applied: a resumed run's saved config updated with
    the options given again. Numbers already resolved (k_t, k_u, lr_decay_every) are kept,
    also when ``steps`` changes; build a new run's config with :func:`make_config`."""
    return _validated(_apply(config.model_dump(mode="json"), dict(overrides)))


SCHEDULE_SETTINGS = ("k_t", "k_u", "first_round", "refine_after", "lr_decay_every")


def rescheduled(config: Config, steps: int, keep=()) -> Config:
    """``config`` for ``steps`` steps, its schedule (``SCHEDULE_SETTINGS``) derived again for
    them except the settings named in ``keep`` (those a user gave): ``train --time``."""
    tree = config.model_dump(mode="json")
    tree["training"].update(steps=steps)
    for name in SCHEDULE_SETTINGS:
        section = tree["training"] if name in tree["training"] else tree["method"]
        if name in section and name not in keep:
            section[name] = None
    return _validated(tree)


def config_diff(saved: Config, wanted: Config) -> list[str]:
    """``'section.field: saved -> wanted'`` for every field that differs."""

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    a, b = flat(saved.model_dump(mode="json")), flat(wanted.model_dump(mode="json"))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


@dataclass(frozen=True)
class Setting:
    """One flat setting as the CLI shows it: type, choices, default and help from the field."""

    name: str
    type: type
    choices: tuple | None
    default: str
    help: str


def _plain_type(annotation) -> tuple[type, tuple | None]:
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        return type(choices[0]), choices
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return next(a for a in typing.get_args(annotation) if a is not type(None)), None
    return annotation, None


def settings() -> list[Setting]:
    """Every flat setting a user may give (the CLI's training options), in a stable order."""
    out = [
        Setting("preset", str, tuple(sorted(PRESETS)), DEFAULT_PRESET, "network size (depth, features)"),
        Setting("method", str, tuple(METHODS), _default_method(), "training method"),
    ]

    def add(name: str, info, defaults: dict[str, object], owners: str = "") -> None:
        kind, choices = _plain_type(info.annotation)
        if len({repr(d) for d in defaults.values()}) == 1:
            d = next(iter(defaults.values()))
            default = "auto" if d is None else str(d)
        else:  # a method's own default
            default = ", ".join(f"{m}: {d}" for m, d in defaults.items())
        help_ = (info.description or "") + (f" ({owners})" if owners else "")
        out.append(Setting(name, kind, choices, default, help_))

    for section, cls in (("model", ModelConfig), ("training", TrainingConfig)):
        for field, info in cls.model_fields.items():
            if field not in ("channels", "noise_prior", "noise_lags"):  # measured on the data
                name = next((a for a, w in _ALIASES.items() if w == (section, field)), field)
                preset = section == "model" and field in PRESETS[DEFAULT_PRESET]
                add(name, info, {section: "the preset's" if preset else info.default})
    masked = {
        m: cls.model_fields["masking"].default for m, cls in METHODS.items() if "masking" in cls.model_fields
    }
    for alias, (section, field) in _ALIASES.items():
        if section == "masking":
            info = MaskingConfig.model_fields[field]
            add(alias, info, {m: getattr(d, field) for m, d in masked.items()}, ", ".join(masked))
    seen = {"name", "masking"}
    for cls in METHODS.values():
        for field, info in cls.model_fields.items():
            if field not in seen:
                seen.add(field)
                owners = [m for m, c in METHODS.items() if field in c.model_fields]
                add(
                    field,
                    info,
                    {m: METHODS[m].model_fields[field].default for m in owners},
                    ", ".join(owners),
                )
    return out
