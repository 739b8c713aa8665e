"""
The noise level function of photon counts
=========================================

Microscopes and cameras count photons: the noise grows with intensity, variance = a *
intensity + b^2 (Poisson-Gaussian). noise2info reads a and b from the noisy image alone, and a
run switches on the variance-stabilising transform where it finds them.
"""

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from noise2info.noise_level import direct_noise_level_function
from noise2info.plotting import draw_noise_level

rng = np.random.default_rng(0)
signal = data.cell().astype(np.float64)  # a microscope image (it ships with scikit-image)
signal = 20 + 380 * (signal - signal.min()) / np.ptp(signal)
gain, offset = 2.0, 6.0
noisy = gain * rng.poisson(signal / gain) + rng.normal(0, offset, signal.shape)

# %%
# Read the noise level per intensity bin and fit it, from the noisy image alone.
fit = direct_noise_level_function([noisy[None]])
print(f"a = {fit['a']:.3f} (true {gain}), b = {fit['b']:.2f} (true {offset})")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.imshow(noisy, cmap="gray")
left.set_title("noisy counts")
left.axis("off")
draw_noise_level(right, fit)
x = np.linspace(min(fit["intensity"]), max(fit["intensity"]), 100)
right.plot(x, np.sqrt(gain * x + offset**2), "k--", label="truth")
right.legend()
fig.tight_layout()
