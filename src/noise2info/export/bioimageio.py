"""A bioimage.io model package of a trained run (model spec 0.5).

The package's network carries the per-image normalisation and padding, and the posterior
step at the training images' noise std where the run was trained for it
(:class:`~noise2info.export.network.ExportedDenoiser`), so its declared pre- and
postprocessing stay trivial and any bioimage.io consumer gets what ``noise2info denoise
--no-lines`` writes with that std. Weights: ``pytorch_state_dict`` (architecture from this
library) and ``onnx``.

References
----------
bioimage.io model specification, https://bioimage.io (format 0.5).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ImageError
from ..extras import require
from ..io import atomic_write, read_image, sample_views
from .network import exported_network
from .onnx import OPSET, export_onnx

TEST_SIZE = 64  # side of the built-in test image
PAPER = (
    "Wang, Di, Chen, Ng, 'Noise2Info: Noisy Image to Information of Noise for Self-Supervised "
    "Image Denoising', ICCV 2023, pp. 15988-15997"
)
PAPER_URL = "https://openaccess.thecvf.com/ICCV2023"
TOLERANCE = 1e-3  # relative: the package's test compares against the stored output


def test_image(dims: int, channels: int, seed: int = 0) -> np.ndarray:
    """A seeded noisy ``(C, *spatial)`` dead-leaves image for the package's test tensors
    (float32; Gaussian noise of std 0.1 on [0, 1])."""
    from ..data.synthetic import dead_leaves

    rng = np.random.default_rng(seed)
    planes = TEST_SIZE // 4 if dims == 3 else 1
    clean = np.stack(
        [np.stack([dead_leaves(TEST_SIZE, rng) for _ in range(planes)]) for _ in range(channels)]
    )
    clean = clean if dims == 3 else clean[:, 0]
    return (clean + rng.normal(0.0, 0.1, clean.shape)).astype(np.float32)


def _cover(noisy: np.ndarray, denoised: np.ndarray, path: Path) -> None:
    """Noisy | denoised, the middle plane of the first channel, as one PNG."""
    from PIL import Image

    def plane(a):
        a = a[0]
        return a[a.shape[0] // 2] if a.ndim == 3 else a

    both = np.concatenate([plane(noisy), plane(denoised)], axis=1)
    lo, hi = np.percentile(both, [0.5, 99.5])
    grey = np.clip((both - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)
    big = Image.fromarray(grey).resize((grey.shape[1] * 4, grey.shape[0] * 4), Image.NEAREST)
    big.save(path)


def _documentation(run, name: str, sigma, noise_std, start_share: float = 0.0) -> str:
    cfg = run.config
    if noise_std is None:
        step = (
            "This package holds the network alone. `noise2info denoise` also weighs the prediction "
            "against each noisy pixel with the noise level it measures on the image (the posterior "
            "step, about +0.8 dB on natural images in noise2info's benchmarks) where a run was "
            "trained for it, and can remove line noise."
        )
        test = "`noise2info denoise --no-posterior --no-lines`"
    else:
        stds = ", ".join(f"{v:.4g}" for v in noise_std)
        step = (
            "The network ends with the posterior step (its prediction weighed against each noisy "
            f"pixel) at the training images' noise std, {stds} (intensity units, per channel): "
            "for images from the same acquisition. `noise2info denoise` reads each image's own "
            "noise level instead, and can remove line noise."
        )
        test = "`noise2info denoise --no-lines` with the noise std fixed at that value"
    if start_share:
        step += (
            f" Its output is then {1 - start_share:.0%} that and {start_share:.0%} the prediction of "
            "noise2info's shipped start trained on camera-pipeline noise (JPEG'd or noise-reduced "
            "photos), carried in the package."
        )
    level = f"{sigma:.4g} (normalised units)" if sigma is not None else "not recorded"
    return f"""# {name}

A self-supervised denoiser trained with [noise2info](https://pypi.org/project/noise2info/)
(the Noise2Info method: {PAPER}) on noisy images alone.

- Network: U-Net, {cfg.model.dims}-D, {cfg.model.channels} channel(s), depth {cfg.model.depth},
  {cfg.model.base_features} base features.
- Training: method `{cfg.method.name}`, {cfg.training.steps} steps; noise std estimated while
  training: {level}.

## Use

Input: raw intensities, any size of at least {cfg.model.multiple} pixels per spatial axis. The
network normalises each sample and channel to zero mean and unit std with its own statistics,
pads to a multiple of {cfg.model.multiple}, denoises and maps the result back to the input's
units, so no pre- or postprocessing is needed.

{step}

## Validation

The test tensors are a noisy image and this network's output on it, which equals {test} on
the same image (checked by noise2info's tests within the package's relative tolerance
{TOLERANCE:g}).
"""


def export_bioimageio(
    run_dir: str | Path,
    out: str | Path,
    *,
    image: str | Path | None = None,
    name: str | None = None,
    authors: tuple[str, ...] = ("noise2info user",),
    license: str = "CC-BY-4.0",
) -> Path:
    """Write a bioimage.io model package (``.zip``) of the run in ``run_dir``.

    Parameters
    ----------
    run_dir : str or Path
        A trained run (:func:`noise2info.run.load_run`).
    out : str or Path
        The package, a ``.zip``; written atomically.
    image : str or Path, optional
        The test image (its first sample, cropped to at most 256 pixels a side); default a
        seeded synthetic one (:func:`test_image`).
    name, authors, license
        The package's name (default: the run folder's), authors and SPDX licence of the
        weights.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ConfigError
        Without bioimageio.spec installed, or for a run that cannot be exported.
    """
    require("bioimage.io export", "export", "bioimageio.spec", "onnx", "onnxscript")
    import tifffile
    import torch
    from bioimageio.spec import save_bioimageio_package
    from bioimageio.spec.model import v0_5 as bmz

    from ..run import load_run

    run_dir, out = Path(run_dir), Path(out)
    if out.suffix.lower() != ".zip":
        raise ConfigError(f"{out}: a bioimage.io package is a .zip file")
    run = load_run(run_dir, "cpu")
    net = exported_network(run)
    cfg = run.config.model
    x = _test_input(image, cfg.dims, cfg.channels)
    with torch.no_grad():
        y = net(torch.from_numpy(x[None])).numpy()

    spatial = ["z", "y", "x"][-cfg.dims :]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "test_input.npy", x[None])
        np.save(tmp / "test_output.npy", y)
        _cover(x, y[0], tmp / "cover.png")
        name = name or f"noise2info {run_dir.resolve().name}"
        (tmp / "README.md").write_text(_documentation(run, name, run.sigma, net.noise_std, net.start_share))
        tifffile.imwrite(tmp / "sample_input.tif", x[None])
        tifffile.imwrite(tmp / "sample_output.tif", y)
        torch.save(net.state_dict(), tmp / "weights.pt")
        export_onnx(net, tmp / "weights.onnx")

        in_axes = [
            bmz.BatchAxis(),
            bmz.ChannelAxis(channel_names=[bmz.Identifier(f"c{i}") for i in range(cfg.channels)]),
            *[
                bmz.SpaceInputAxis(id=bmz.AxisId(a), size=bmz.ParameterizedSize(min=net.min_size, step=1))
                for a in spatial
            ],
        ]
        out_axes = [
            bmz.BatchAxis(),
            bmz.ChannelAxis(channel_names=[bmz.Identifier(f"c{i}") for i in range(cfg.channels)]),
            *[
                bmz.SpaceOutputAxis(
                    id=bmz.AxisId(a),
                    size=bmz.SizeReference(tensor_id=bmz.TensorId("input"), axis_id=bmz.AxisId(a)),
                )
                for a in spatial
            ],
        ]
        kwargs = {
            **json.loads(cfg.model_dump_json()),
            "vst": list(net.vst) if net.vst else None,
            "noise_std": net.noise_std,
            **({"floor": net.floor} if net.floor else {}),
            **({"start_share": net.start_share} if net.start_share else {}),
        }
        descr = _validated(
            bmz.ModelDescr,
            name=name,
            description=f"Self-supervised blind denoiser ({cfg.dims}-D, {cfg.channels} channel(s)) "
            "trained with noise2info (Noise2Info, ICCV 2023) on noisy images alone.",
            authors=[bmz.Author(name=a) for a in authors],
            cite=[bmz.CiteEntry(text=PAPER, url=PAPER_URL)],
            license=bmz.LicenseId(license),
            documentation=bmz.FileDescr(source=tmp / "README.md"),
            covers=[bmz.FileDescr(source=tmp / "cover.png")],
            tags=["denoising", "self-supervised", "noise2info", f"{cfg.dims}d"],
            inputs=[
                bmz.InputTensorDescr(
                    id=bmz.TensorId("input"),
                    axes=in_axes,
                    test_tensor=bmz.FileDescr(source=tmp / "test_input.npy"),
                    sample_tensor=bmz.FileDescr(source=tmp / "sample_input.tif"),
                    data=bmz.IntervalOrRatioDataDescr(type="float32"),
                )
            ],
            outputs=[
                bmz.OutputTensorDescr(
                    id=bmz.TensorId("output"),
                    axes=out_axes,
                    test_tensor=bmz.FileDescr(source=tmp / "test_output.npy"),
                    sample_tensor=bmz.FileDescr(source=tmp / "sample_output.tif"),
                    data=bmz.IntervalOrRatioDataDescr(type="float32"),
                )
            ],
            weights=bmz.WeightsDescr(
                pytorch_state_dict=bmz.PytorchStateDictWeightsDescr(
                    source=tmp / "weights.pt",
                    architecture=bmz.ArchitectureFromLibraryDescr(
                        import_from="noise2info.export.network", callable="exported_denoiser", kwargs=kwargs
                    ),
                    pytorch_version=bmz.Version(torch.__version__.split("+")[0]),
                ),
                onnx=bmz.OnnxWeightsDescr(
                    source=tmp / "weights.onnx", opset_version=OPSET, parent="pytorch_state_dict"
                ),
            ),
            config={"bioimageio": {"reproducibility_tolerance": [{"relative_tolerance": TOLERANCE}]}},
        )
        atomic_write(out, lambda t: save_bioimageio_package(descr, output_path=Path(t)))
    return out


def _validated(kind, **fields):
    """``kind(**fields)``, a spec violation (a name too short, an unknown licence) said in
    one line."""
    from pydantic import ValidationError

    try:
        return kind(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"bioimage.io package: {where}: {first['msg']}") from None


def _test_input(image, dims: int, channels: int) -> np.ndarray:
    if image is None:
        return test_image(dims, channels)
    views = sample_views(read_image(image), dims)
    x = np.asarray(views[0], np.float32)
    if x.shape[0] != channels:
        raise ImageError(f"{image}: {x.shape[0]} channel(s), the model takes {channels}")
    return np.ascontiguousarray(x[(slice(None), *[slice(0, 256)] * dims)])
