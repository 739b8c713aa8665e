"""noise2info: self-supervised blind image denoising that estimates the noise level as it
trains (Noise2Info, ICCV 2023).

>>> import numpy as np, noise2info
>>> rng = np.random.default_rng(0)
>>> noisy = [rng.normal(size=(1, 32, 32)).astype("float32")]
>>> cfg = noise2info.make_config(preset="tiny", steps=2, batch_size=2, patch_size=16, seed=0)
>>> result = noise2info.train(noisy, cfg, progress=False)
>>> noise2info.denoise(result.model, noisy[0]).shape
(1, 32, 32)
"""

from .api import denoise_array, denoise_files, estimate_noise, load, load_images, save_run, train_files
from .config import Config, MaskingConfig, ModelConfig, TrainingConfig, make_config
from .prediction import denoise
from .sigma import estimate_sigma
from .training import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "Config",
    "MaskingConfig",
    "ModelConfig",
    "TrainResult",
    "TrainingConfig",
    "denoise",
    "denoise_array",
    "denoise_files",
    "estimate_noise",
    "estimate_sigma",
    "load",
    "load_images",
    "make_config",
    "save_run",
    "train",
    "train_files",
]
