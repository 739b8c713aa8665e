"""ONNX export of the shipped network (:mod:`noise2info.export.network`) and an engine that
runs it with ONNX Runtime alone (``denoise --engine onnx``)."""

from __future__ import annotations

import contextlib
import io as _io
import json
import logging
import warnings
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..io import atomic_write

OPSET = 18
INPUT, OUTPUT = "input", "output"
META_KEY = "noise2info"  # metadata_props entry: the model's config and what the graph holds


def export_onnx(model, path: str | Path, *, config=None, posterior: bool = True) -> Path:
    """Write ``model``'s shipped network as ONNX, with dynamic batch and spatial sizes.

    Parameters
    ----------
    model : UNet or ExportedDenoiser
        A loaded run's model (:func:`noise2info.run.load_run`) or its exported network.
    path : str or Path
        The ``.onnx`` file, written atomically.
    config : Config, optional
        The run's config, stored in the file's metadata (``noise2info``) for the engine.
    posterior : bool
        End the graph with the posterior step at the training images' noise std where the
        model was trained for it (:func:`~noise2info.export.network.exported_network`).

    Returns
    -------
    Path
        ``path``.
    """
    import onnx
    import torch

    from .network import ExportedDenoiser, exported_network

    net = model if isinstance(model, ExportedDenoiser) else exported_network(model, posterior)
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
    }
    if config is not None:
        meta["config"] = json.loads(config.model_dump_json())
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
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelFileError(
                "the onnx engine needs onnxruntime: pip install 'noise2info[export]'"
            ) from None
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

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Denoise one ``(C, *spatial)`` image; float32 result in the image's units."""
        x = np.asarray(image, np.float32)[None]
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(x)})[0][0]
