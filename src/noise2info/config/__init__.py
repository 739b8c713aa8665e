"""One validated configuration that flows from the CLI to the trainer and into the run folder:
the schema (:mod:`.schema`), old files upgraded (:mod:`.migrations`) and the flat settings
layer of the CLI and :func:`make_config` (:mod:`.flat`)."""

from .flat import (
    SCHEDULE_SETTINGS,
    Setting,
    config_diff,
    explain,
    make_config,
    rescheduled,
    settings,
    updated,
)
from .schema import (
    CONFIG_VERSION,
    DEFAULT_PRESET,
    FIRST_ROUND_MIN,
    METHODS,
    MIN_ESTIMATION_PATCHES,
    PRESETS,
    Config,
    MaskingConfig,
    MethodConfig,
    ModelConfig,
    Noise2InfoMethod,
    Noise2SameMethod,
    Noise2SelfMethod,
    SupervisedMethod,
    TrainingConfig,
    sigma_schedule,
)

__all__ = [
    "CONFIG_VERSION",
    "DEFAULT_PRESET",
    "FIRST_ROUND_MIN",
    "METHODS",
    "MIN_ESTIMATION_PATCHES",
    "PRESETS",
    "SCHEDULE_SETTINGS",
    "Config",
    "MaskingConfig",
    "MethodConfig",
    "ModelConfig",
    "Noise2InfoMethod",
    "Noise2SameMethod",
    "Noise2SelfMethod",
    "Setting",
    "SupervisedMethod",
    "TrainingConfig",
    "config_diff",
    "explain",
    "make_config",
    "rescheduled",
    "settings",
    "sigma_schedule",
    "updated",
]
