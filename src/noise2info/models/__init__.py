"""Networks. One U-Net family, 2D and 3D."""

from .unet import UNet, build_model, inference_model, receptive_radius

__all__ = ["UNet", "build_model", "inference_model", "receptive_radius"]
