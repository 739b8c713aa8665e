"""The camera start's own prediction mixed into the output of JPEG'd colour photos
(``plan.start_share``): decided by the correlation stage, applied after the posterior step by
denoise and by the exported network, and switched off by ``mix_start``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noise2info import make_config
from noise2info.data.camera import real_sim_images
from noise2info.export.network import exported_denoiser, exported_network
from noise2info.models import build_model
from noise2info.models.pretrained import shipped_start
from noise2info.pipeline import START_SHARE, explain, make_plan, notes
from noise2info.plan import Plan
from noise2info.prediction import denoise


def _photos(kind: str) -> list[np.ndarray]:
    return [x.astype(np.float32) for x in real_sim_images(kind, side=96)[2]]


def test_jpegd_colour_photos_mix_in_the_camera_start():
    phone = _photos("phone-jpeg")  # JPEG q90
    planning = make_plan(phone, make_config(channels=3))
    plan = planning.plan
    assert (plan.start, plan.start_share) == ("camera", START_SHARE)
    assert "blended with the camera start (50%)" in notes(plan, planning.readings)
    assert "--no-mix-start" in " ".join(explain(plan, planning.readings))
    # demosaiced noise without JPEG: the camera start, fine-tuned, alone
    camera = make_plan(_photos("camera"), make_config(channels=3)).plan
    assert (camera.start, camera.start_share) == ("camera", 0.0)
    for settings in ({"correlation": "none"}, {"init": "random"}, {"pd_stride": 2}):
        assert make_plan(phone, make_config(channels=3, **settings)).plan.start_share == 0.0, settings
    assert make_plan([x[:1] for x in phone], make_config()).plan.start_share == 0.0  # grey
    assert Plan.model_validate_json('{"version": 1, "start": "camera"}').start_share == 0.0  # old runs


def _mixing(refine: str) -> tuple[torch.nn.Module, Plan]:
    config = make_config(channels=3).model.model_copy(update={"channels_apart": True})
    torch.manual_seed(0)
    net = build_model(config).eval()
    plan = Plan(init="pretrained", start="camera", start_share=0.5, channels_apart=True, refine=refine)
    return net, plan


@pytest.mark.parametrize("refine", ["posterior", "none"])
def test_denoise_mixes_the_start_after_the_posterior_step(refine):
    net, plan = _mixing(refine)
    x = _photos("phone-jpeg")[0][:, :64, :64]
    mixed, gain = denoise(net, x, plan=plan, return_gain=True)
    alone = denoise(net, x, plan=plan, mix_start=False)
    start = denoise(shipped_start(net.config, "camera"), x, plan=Plan(channels_apart=True))
    np.testing.assert_allclose(mixed, 0.5 * alone + 0.5 * start, atol=1e-4 * float(np.std(x)))
    assert np.abs(mixed - alone).max() > 0.01 * np.std(x)  # the mix does something
    assert gain["gain_db"] is None  # Stein's risk does not see the start's share


def test_the_exported_network_ends_with_the_mix():
    net, plan = _mixing("none")
    x = _photos("phone-jpeg")[0][:, :64, :64]
    exported = exported_network(net, plan)
    with torch.no_grad():
        y = exported(torch.from_numpy(x[None]))[0].numpy()
    np.testing.assert_allclose(y, denoise(net, x, plan=plan), atol=1e-4 * float(np.std(x)))
    # a bioimage.io package rebuilds it from the config's fields and the state dict
    rebuilt = exported_denoiser(**net.config.model_dump(), start_share=0.5)
    rebuilt.load_state_dict(exported.state_dict(), strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(rebuilt(torch.from_numpy(x[None]))[0].numpy(), y, atol=1e-5)
    # the network alone, exported without the step it takes, has no mix either
    stepped = plan.model_copy(update={"refine": "posterior"})
    assert exported_network(net, stepped, posterior=False).start is None
