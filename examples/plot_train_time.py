"""
Train for a wall-clock time
===========================

``noise2info train --time 10m`` trains for the steps that fit in ten minutes on this machine:
the first steps are timed, and the schedule (sigma rounds, learning-rate decay) follows the
steps that fit. Here, 12 seconds on three small noisy images, through the same function the
command line calls.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from noise2info import io, make_config
from noise2info.api import train_files

rng = np.random.default_rng(0)
tmp = Path(tempfile.mkdtemp())
for name in ("camera", "coins", "moon"):
    image = getattr(data, name)()[:192, :192].astype(np.float32) / 255
    io.write_image(tmp / "in" / f"{name}.tif", image + rng.normal(0, 0.1, image.shape).astype(np.float32))

# What `noise2info train in/ --out run --time 12s --batch-size 8` does:
result = train_files([tmp / "in"], make_config(batch_size=8), tmp / "run", time_budget=12, progress=False)
steps = result.config.training.steps
print(f"{steps} steps fit in 12 s; trained in {result.seconds:.1f} s; noise std {result.sigma:.4f}")

# %%
# The run's curves: the loss, and Noise2Info's bound sigma_loss lowered round by round.
history = result.history.steps
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
left.plot([r["step"] for r in history], [r["loss"] for r in history])
left.set_xlabel("step")
left.set_title("loss")
rounds = result.history.sigma_rounds
right.plot([r["step"] for r in rounds], [r["sigma_loss"] for r in rounds], "o-", label="sigma_loss (bound)")
right.axhline(result.sigma, color="k", ls=":", label="the run's sigma (images)")
right.set_xlabel("step")
right.legend()
fig.tight_layout()
