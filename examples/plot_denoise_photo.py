"""
Denoise a grey photo
====================

Hide Gaussian noise in a photo, train on the noisy photo alone, and denoise it: no clean image
and no noise level given. The run starts from the starting point that ships with the package
(grey 2-D images, the ``cpu`` network), so a short training is enough.
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

import noise2info

rng = np.random.default_rng(0)
clean = data.camera()[128:384, 128:384].astype(np.float32) / 255
noisy = clean + rng.normal(0, 25 / 255, clean.shape).astype(np.float32)

# %%
# Train: ``(C, H, W)`` arrays in, a run out. 80 steps take about 15 s on 2 CPU cores.
config = noise2info.make_config(steps=80, batch_size=8, seed=0)
result = noise2info.train([noisy[None]], config, progress=False)
print(f"noise std found: {result.sigma:.4f} (normalised units); the truth: {25 / 255 / noisy.std():.4f}")

# %%
# Denoise with the run: the network and the plan it trained under (here the posterior step,
# which weighs the network's prediction against each noisy pixel).
denoised = noise2info.denoise(result, noisy[None])[0]
before = peak_signal_noise_ratio(clean, noisy, data_range=1)
after = peak_signal_noise_ratio(clean, np.clip(denoised, 0, 1), data_range=1)
print(f"PSNR {before:.2f} dB -> {after:.2f} dB")

fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
for ax, (title, image) in zip(
    axes,
    [("clean", clean), (f"noisy {before:.1f} dB", noisy), (f"denoised {after:.1f} dB", denoised)],
    strict=True,
):
    ax.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
