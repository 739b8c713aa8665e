"""PSNR and SSIM as the paper computes them: against the clean image's range."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def psnr_ssim(clean: np.ndarray, pred: np.ndarray, clip: bool = True) -> tuple[float, float]:
    """PSNR = 10 log10(max(Y)^2 / mse) (method.md) and SSIM, with the prediction clipped to
    [0, max(Y)] (not clipped for the noisy input itself, ``clip=False``)."""
    peak = float(clean.max()) or 1.0
    p = np.clip(pred, 0.0, peak) if clip else pred
    psnr = peak_signal_noise_ratio(clean, p, data_range=peak)
    ssim = structural_similarity(clean, p, data_range=peak)
    return float(psnr), float(ssim)


def mean_scores(clean: list[np.ndarray], preds: list[np.ndarray], clip: bool = True) -> tuple[float, float]:
    scores = [psnr_ssim(y, p, clip) for y, p in zip(clean, preds, strict=True)]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))
