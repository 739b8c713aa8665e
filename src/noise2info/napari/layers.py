"""napari image layers as noise2info samples and back, with the mapping said in words.

napari holds a grey image as ``(..., Y, X)`` and an RGB(A) one as ``(..., Y, X, C)``
(``layer.rgb``); noise2info trains on ``(C, *spatial)`` samples. A model of ``dims`` spatial
axes takes the last ``dims`` axes as space; any axes before them (time, a stack of planes
for a 2-D model) index separate samples.
"""

from __future__ import annotations

import numpy as np

from ..errors import ImageError


def layer_samples(data, rgb: bool, dims: int, name: str = "layer") -> tuple[list[np.ndarray], str]:
    """The ``(C, *spatial)`` samples of a layer's data and a one-line description.

    Parameters
    ----------
    data : array-like
        The layer's data.
    rgb : bool
        The layer's ``rgb`` flag: a trailing colour axis.
    dims : int
        The model's spatial dimensions, 2 or 3.
    name : str
        The layer's name, for messages.

    Returns
    -------
    samples : list of np.ndarray
        Views of the data, each ``(C, *spatial)``.
    understood : str
        E.g. ``'2-D, 1 channel, 5 images of 64 x 64'``.

    Raises
    ------
    ImageError
        Fewer axes than ``dims`` spatial ones.
    """
    a = np.asarray(data)
    a = np.moveaxis(a, -1, 0) if rgb else a[None]
    rest = a.shape[1:]
    if len(rest) < dims:
        raise ImageError(f"{name}: shape {np.shape(data)} has fewer than {dims} spatial axes")
    leading = rest[: len(rest) - dims]
    samples = [a[(slice(None), *idx)] for idx in np.ndindex(*leading)] if leading else [a]
    spatial = " x ".join(map(str, rest[len(leading) :]))
    channels = a.shape[0]
    understood = (
        f"{dims}-D, {channels} channel{'s' if channels > 1 else ''}"
        f"{' (RGB)' if rgb else ''}, {len(samples)} image{'s' if len(samples) > 1 else ''} of {spatial}"
    )
    return samples, understood


def layer_data(samples: list[np.ndarray], shape: tuple[int, ...], rgb: bool) -> np.ndarray:
    """Put ``(C, *spatial)`` samples back into a layer's data of ``shape`` (the inverse of
    :func:`layer_samples`)."""
    stacked = np.stack(samples)  # (N, C, *spatial), N over the leading axes in C order
    stacked = np.moveaxis(stacked, 1, -1) if rgb else stacked[:, 0]
    return stacked.reshape(shape)


def default_dims(data, rgb: bool) -> int:
    """3 for a grey layer of three or more axes (a volume), else 2."""
    return 3 if np.ndim(data) - (1 if rgb else 0) >= 3 else 2
