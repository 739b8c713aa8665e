"""ONNX export of the shipped network (:mod:`noise2info.export.network`) and the engine that
runs it with ONNX Runtime alone (``denoise --engine onnx``): :func:`onnx_engine` opens one,
:func:`denoise_onnx_array` denoises with it behind the signature of
:func:`noise2info.api.denoise_array`."""

from __future__ import annotations

import contextlib
import io as _io
import json
import logging
import warnings
from pathlib import Path

import numpy as np

from .. import io
from ..config.migrations import legacy_plan
from ..errors import ConfigError, ImageError, ModelFileError
from ..extras import require
from ..io import atomic_write
from ..plan import Plan

OPSET = 18
INPUT, OUTPUT = "input", "output"
META_KEY = "noise2info"  # metadata_props entry: the model's config and what the graph holds


def export_onnx(model, path: str | Path, *, posterior: bool = True) -> Path:
    """Write a run's shipped network as ONNX, with dynamic batch and spatial sizes.

    Parameters
    ----------
    model : Run, TrainResult or ExportedDenoiser
        A trained run (:func:`noise2info.load_run`), whose settings and plan are stored in
        the file's metadata (``noise2info``) for the engine, or an exported network.
    path : str or Path
        The ``.onnx`` file, written atomically.
    posterior : bool
        End the graph with the posterior step at the training images' noise std where the
        model was trained for it (:func:`~noise2info.export.network.exported_network`).

    Returns
    -------
    Path
        ``path``.
    """
    require("ONNX export", "export", "onnx", "onnxscript")
    import onnx
    import torch

    from .network import ExportedDenoiser, exported_network

    exported = isinstance(model, ExportedDenoiser)
    net = model if exported else exported_network(model, posterior=posterior)
    cfg = net.net.config
    example = torch.randn(1, cfg.channels, *[2 * net.multiple + 3] * cfg.dims)
    axes = {0: torch.export.Dim("batch")}
    for i in range(cfg.dims):
        axes[2 + i] = torch.export.Dim(f"size{i}", min=net.min_size)
    # The exporter reports each stage on stdout and warns of optional operators it skips.
    with warnings.catch_warnings(), contextlib.redirect_stdout(_io.StringIO()), _quiet("torch.onnx"):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net,
            (example,),
            dynamo=True,
            dynamic_shapes=(axes,),
            input_names=[INPUT],
            output_names=[OUTPUT],
            opset_version=OPSET,
            verbose=False,
        )
    proto = program.model_proto
    meta = {
        "min_size": net.min_size,
        "dims": cfg.dims,
        "channels": cfg.channels,
        "multiple": net.multiple,
        "posterior_noise_std": net.noise_std,  # None: the graph ends with the network
        "start_share": net.start_share,  # > 0: the graph ends with the mix with the start
    }
    if not exported:
        meta["config"] = json.loads(model.config.model_dump_json())
        meta["plan"] = json.loads(model.plan.model_dump_json())
    proto.metadata_props.add(key=META_KEY, value=json.dumps(meta))
    onnx.checker.check_model(proto)
    return atomic_write(path, lambda tmp: onnx.save_model(proto, tmp))


@contextlib.contextmanager
def _quiet(name: str):
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class OnnxDenoiser:
    """An exported network run by ONNX Runtime: ``(C, *spatial)`` intensities in and out.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`export_onnx`.
    threads : int, optional
        ONNX Runtime's intra-op threads (default: its own choice).
    """

    def __init__(self, path: str | Path, threads: int | None = None):
        require("the onnx engine", "export", "onnxruntime")
        import onnxruntime as ort

        self.path = Path(path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own types for missing or bad files
            raise ModelFileError(f"{self.path}: not a readable ONNX model ({err})") from None
        found = self.session.get_modelmeta().custom_metadata_map.get(META_KEY)
        if found is None:
            raise ModelFileError(f"{self.path}: not exported by noise2info (no '{META_KEY}' metadata)")
        self.meta = json.loads(found)
        self.dims, self.channels = self.meta["dims"], self.meta["channels"]
        # The run's plan (an older file: from its config's resolved values); None for a
        # network exported without its run.
        if "plan" in self.meta:
            self.plan: Plan | None = Plan.model_validate(self.meta["plan"])
        else:
            self.plan = legacy_plan(self.meta["config"]) if "config" in self.meta else None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Denoise one ``(C, *spatial)`` image; float32 result in the image's units."""
        x = np.asarray(image, np.float32)[None]
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(x)})[0][0]


def onnx_engine(source: str | Path, threads: int | None = None) -> OnnxDenoiser:
    """The ONNX Runtime engine of a run folder (exporting its network alone into
    ``model.onnx`` there on first use: the engine takes the posterior step itself, with each
    image's own noise reading, except for a run that mixes in the shipped start, whose
    graph ends with the step at the training images' noise and the mix) or of an ``.onnx``
    file."""
    from ..run import ONNX, load_run

    source = Path(source)
    if source.suffix.lower() == ".onnx":
        return OnnxDenoiser(source, threads)
    path = source / ONNX
    if not path.is_file():
        run = load_run(source, "cpu")
        export_onnx(run, path, posterior=bool(run.plan.start_share))
    return OnnxDenoiser(path, threads)


def denoise_onnx_array(
    model: OnnxDenoiser,
    arr,
    *,
    plan: Plan | None = None,
    tile: int | None = None,
    tta: bool = False,
    out=None,
    name: str = "image",
    posterior: bool | None = None,
    lines: bool | None = None,
    check: bool = False,
    safe: bool = False,
    mix_start: bool = True,
):
    """:func:`noise2info.api.denoise_array` with an :class:`OnnxDenoiser`: a stored array,
    each sample whole, same shape and dtype; ``tta`` averages the 8 rotations / flips.

    ``posterior`` as in :func:`~noise2info.prediction.denoise` (default: as the run was
    trained, from the file's plan, or ``plan``): the network's output weighed against each
    noisy pixel with the noise std measured on the image, in NumPy after the network. Not for
    a run trained under variance stabilisation, whose graph maps back before it could. No
    tiles, line removal or check: asking for them is a :class:`ConfigError`; nor, for a graph
    that ends with the mix with the shipped start, ``mix_start`` False or a posterior step after it.
    """
    from ..data import channel_stats, denormalise, normalise
    from ..data.patches import dihedral_mean
    from ..posterior import posterior_mean
    from ..prediction import image_sigmas

    if tile is not None or lines or check or safe:
        raise ConfigError("the onnx engine predicts each image whole, without line removal or check")
    samples = io.sample_views(arr, model.dims, model.channels, name=name)
    small = [s for s in samples[0].shape[1:] if s < model.meta["min_size"]]
    if small:
        raise ImageError(
            f"{name}: {tuple(samples[0].shape[1:])} is smaller than the network's "
            f"{model.meta['min_size']} pixels a side"
        )
    plan = plan or model.plan
    if model.meta.get("posterior_noise_std") is not None:  # the graph ends with the step
        if posterior is False:
            raise ConfigError(
                f"{model.path}: its graph applies the posterior step; export with the network alone"
            )
        posterior = False
    use_posterior = (plan is not None and plan.posterior) if posterior is None else posterior
    mixes = bool(model.meta.get("start_share"))
    if mixes and (not mix_start or use_posterior):
        raise ConfigError(
            f"{model.path}: its graph ends with the mix with the shipped start; for the run's output "
            "alone or another posterior step, denoise with --engine torch"
        )
    if mix_start and not mixes and plan is not None and plan.start_share:
        raise ConfigError(
            f"{model.path}: this run mixes the shipped start into its output, but the graph holds the "
            "network alone; pass --no-mix-start for the run's output alone, or use --engine torch"
        )
    if use_posterior and (plan is None or plan.vst):
        raise ConfigError(f"{model.path}: the posterior step needs a run without variance stabilisation")
    if out is None:
        out = np.empty(arr.shape, arr.dtype)
    for sample, target in zip(samples, io.sample_views(out, model.dims), strict=True):
        x = np.asarray(sample, np.float32)
        y = dihedral_mean(model, x) if tta else model(x)
        if use_posterior:
            mean, std = channel_stats(x)
            sigmas = image_sigmas(x, std, plan)
            if sigmas is not None:  # an image whose noise cannot be read keeps the network's
                x_n, y_n = normalise(x, mean, std)[0], normalise(y, mean, std)[0]
                y = denormalise(posterior_mean(x_n, y_n, sigmas, floor=plan.posterior_floor), mean, std)
        target[...] = io.cast_to(y, target.dtype)
    return out
