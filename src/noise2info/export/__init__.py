"""Ship a trained run: the network with its normalisation inside
(:mod:`~noise2info.export.network`), as ONNX (:mod:`~noise2info.export.onnx`) or as a
bioimage.io model package (:mod:`~noise2info.export.bioimageio`). The export libraries
(onnx, onnxruntime, bioimageio.spec) are imported only when used: ``pip install
'noise2info[export]'``.
"""

from .network import ExportedDenoiser, exported_network

__all__ = ["ExportedDenoiser", "exported_network"]
