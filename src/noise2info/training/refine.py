"""The refinement choice of ``refine auto``: at ``refine_after``, estimate what the posterior
step would gain on the half-trained F, and keep Algorithm 2 with the step at prediction where
it gains enough, else train the SURE stage (the ``refine`` stage of noise2info.pipeline).

The estimate is Stein's unbiased risk of F and of the step (:func:`noise2info.posterior.
posterior_risk`) on fresh estimation patches, each with its image's noise std as prediction
reads it; no clean image is needed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..objectives.base import to_device
from ..posterior import posterior_risk
from ..readout import PROBE_STEP

# refine "auto" keeps Algorithm 2 and predicts with the posterior step where the step is
# estimated to gain at least this much on the half-trained F, and trains the SURE stage
# otherwise (measured: docs/notes/benchmarks.md, "Posterior step or SURE stage").
POSTERIOR_MIN_GAIN_DB = 0.5


@torch.no_grad()
def risk_sums(
    model: nn.Module,
    sampler,
    batches: int,
    batch_size: int,
    sigmas: np.ndarray,
    generator: torch.Generator,
    device: torch.device,
) -> torch.Tensor:
    """``[risk of F, risk of the posterior step]`` summed over ``batches`` fresh patches.

    ``sigmas`` is ``(images, C)``: each image's noise std per channel in normalised units
    (a per-patch reading is too noisy, docs/notes/benchmarks.md "Posterior step or SURE stage");
    patches of an image without one (NaN) are left out. The model's train / eval mode is
    kept.
    """
    was_training = model.training
    model.eval()
    sums = torch.zeros(2, dtype=torch.float64)
    try:
        for _ in range(batches):
            noisy, _, index = sampler.sample(batch_size, index=True)
            x = to_device(noisy, device)
            f_x = model(x).float()
            z = torch.randn(tuple(x.shape), generator=generator).to(x.device, x.dtype)
            jz = (model(x + PROBE_STEP * z).float() - f_x) / PROBE_STEP
            xs, fs, zs, js = (t.double().cpu().numpy() for t in (x, f_x, z, jz))
            for i, image in enumerate(index):
                if np.isfinite(sigmas[image]).all():
                    risks = posterior_risk(xs[i], fs[i], sigmas[image], zs[i], js[i])
                    sums += torch.tensor(risks, dtype=torch.float64)
    finally:
        model.train(was_training)
    return sums


def gain_record(step: int, sums) -> dict:
    """``{"step", "risk_network", "risk_posterior", "gain_db"}`` from :func:`risk_sums`, the
    gain 10 log10(risk_network / risk_posterior) (None where a risk is not positive)."""
    network, posterior = (float(v) for v in sums)
    gain = 10 * math.log10(network / posterior) if network > 0 and posterior > 0 else None
    return {"step": step, "risk_network": network, "risk_posterior": posterior, "gain_db": gain}


def choose(gain_db: float | None, final: bool = False) -> str:
    """The posterior step where it is estimated to gain at least :data:`POSTERIOR_MIN_GAIN_DB`,
    else the SURE stage; at the end of a run (``final``: no stage left to train) the step
    where it gains at all, else nothing."""
    if gain_db is not None and gain_db >= POSTERIOR_MIN_GAIN_DB:
        return "posterior"
    if final:
        return "posterior" if gain_db is not None and gain_db > 0 else "none"
    return "sure"
