"""
Correlated camera noise
=======================

A camera's noise is not independent from pixel to pixel: demosaicing spreads it over
neighbours, and a blind-spot network would learn to copy it. noise2info measures the
correlation on the noisy images and, where it reads correlated, masks blocks rather than single
pixels and reads each image's noise level corrected for it. The summary says so; so does the
run's plan.
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info import pipeline
from noise2info.data.camera import real_sim_images

# %%
# Colour images through a simulated camera: Bayer mosaic, shot and read noise, bilinear
# demosaicing, white balance, tone curve (the real-sim "camera" kind).
names, references, noisy = real_sim_images("camera", side=128, seed=0)
names, references, noisy = names[:3], references[:3], [x.astype(np.float32) for x in noisy[:3]]

# %%
# 80 steps on three of the images (about 15 s on 2 cores).
config = noise2info.make_config(steps=80, batch_size=8, seed=0, channels=3)
result = noise2info.train(noisy, config, progress=False)
record = {**result.history.to_dict(), "sigma": result.sigma, "sigma_loss": result.sigma_loss}
for line in pipeline.explain(result.plan, record):
    print(line)

# %%
# Each image denoised with the run's plan, against the camera's noise-free reference.
fig, axes = plt.subplots(2, 3, figsize=(9, 6))
for col, (name, ref, x) in enumerate(zip(names, references, noisy, strict=True)):
    out = np.clip(noise2info.denoise(result, x), 0, 1)
    for row, (label, image) in enumerate([("noisy", x), ("denoised", out)]):
        psnr = peak_signal_noise_ratio(ref, np.clip(image, 0, 1), data_range=1)
        axes[row, col].imshow(np.moveaxis(np.clip(image, 0, 1), 0, -1))
        axes[row, col].set_title(f"{name} {label}: {psnr:.1f} dB", fontsize=9)
        axes[row, col].axis("off")
fig.tight_layout()
