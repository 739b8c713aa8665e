"""
Export to bioimage.io and run the package
=========================================

A trained run ships as a bioimage.io model package (``noise2info export RUN --bioimageio
model.zip``): the network with its normalisation inside, ONNX and PyTorch weights, test
tensors, a cover and a README. Any bioimage.io consumer (bioimageio.core, deepImageJ, ilastik)
runs it without noise2info; here bioimageio.core's own model test checks it, and ONNX Runtime
runs the exported network on a new image.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

import noise2info
from noise2info.export.bioimageio import export_bioimageio
from noise2info.export.onnx import OnnxDenoiser, export_onnx

rng = np.random.default_rng(0)
image = data.camera()[:128, :128].astype(np.float32)
noisy = image + rng.normal(0, 20, image.shape).astype(np.float32)

tmp = Path(tempfile.mkdtemp())
result = noise2info.train(
    [noisy[None]], noise2info.make_config(steps=30, batch_size=8, seed=0), progress=False
)
run_dir = noise2info.save_run(result, tmp / "run")

# %%
# The package, checked by the bioimage.io library's own test (it runs both weight formats on
# the package's test tensors and compares them with the expected outputs).
package = export_bioimageio(run_dir, tmp / "model.zip", authors=("An Example",))
from bioimageio.core import test_model  # noqa: E402

print("bioimageio test:", test_model(str(package)).status)

# %%
# The same network as an .onnx file, run by ONNX Runtime alone on another crop.
engine = OnnxDenoiser(export_onnx(noise2info.load_run(run_dir, "cpu"), tmp / "model.onnx"))
other = data.camera()[200:328, 200:328].astype(np.float32) + rng.normal(0, 20, (128, 128)).astype(np.float32)
out = engine(other[None])[0]
fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.4))
for ax, (title, im) in zip(axes, [("noisy", other), ("ONNX Runtime", out)], strict=True):
    ax.imshow(im, cmap="gray", vmin=0, vmax=255)
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
