"""noise2info: self-supervised blind image denoising that estimates the noise level as it
trains (Noise2Info, ICCV 2023).

>>> import numpy as np, noise2info
>>> rng = np.random.default_rng(0)
>>> noisy = [rng.normal(size=(1, 32, 32)).astype("float32")]
>>> cfg = noise2info.make_config(preset="tiny", steps=2, batch_size=2, patch_size=16, seed=0)
>>> result = noise2info.train(noisy, cfg, progress=False)
>>> noise2info.denoise(result, noisy[0]).shape  # the network with the plan it trained under
(1, 32, 32)
"""

from .api import denoise_array, denoise_files, estimate_sigma, estimate_sigma_files, load_images, train_files
from .config import (
    Config,
    MaskingConfig,
    ModelConfig,
    Noise2InfoMethod,
    Noise2SameMethod,
    Noise2SelfMethod,
    SupervisedMethod,
    TrainingConfig,
    make_config,
)
from .errors import ConfigError, ImageError, ModelFileError, Noise2InfoError, Noise2InfoWarning
from .plan import Plan
from .prediction import denoise
from .run import Run, load_run, save_run
from .training import TrainingError, TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "ImageError",
    "MaskingConfig",
    "ModelConfig",
    "ModelFileError",
    "Noise2InfoError",
    "Noise2InfoMethod",
    "Noise2InfoWarning",
    "Noise2SameMethod",
    "Noise2SelfMethod",
    "Plan",
    "Run",
    "SupervisedMethod",
    "TrainResult",
    "TrainingConfig",
    "TrainingError",
    "denoise",
    "denoise_array",
    "denoise_files",
    "estimate_sigma",
    "estimate_sigma_files",
    "load_images",
    "load_run",
    "make_config",
    "save_run",
    "train",
    "train_files",
]
