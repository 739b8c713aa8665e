"""Candidate starts alone, zero-shot, on real camera photos and the test bed's camera kinds.

Each file given (a grey start written by ``tools/pretrain.py --out FILE``; the shipped one by
default) denoises each channel of each photo as a grey image, normalised by its own mean and
std, without training, as the default pipeline's camera start does where it is mixed into the
output. PSNR gain over the noisy image: the 56 photos of ../shared/data/polyu-dev (8-bit,
never copied; non-commercial licence) and the real-sim kinds' five test images, 256 x 256.

    python benchmarks/start_zero_shot.py [FILE ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from camera_start import _per_channel
from safetensors.torch import load_file
from skimage.metrics import peak_signal_noise_ratio

import noise2info
from noise2info.data.camera import real_sim_images
from noise2info.models import build_model
from noise2info.models.pretrained import find_pretrained

KINDS = ("camera", "phone-jpeg", "consumer-jpeg", "photo-jpeg")


def _sets(data: Path) -> list[tuple[str, list, list, float]]:
    sets = []
    if data.is_dir():
        from polyu import load

        _, noisy, clean = load(data)
        sets.append(("polyu-dev", noisy, clean, 255.0))
    else:
        print(f"{data}: not found; the test bed only")
    for kind in KINDS:
        _, refs, noisy = real_sim_images(kind, side=256)
        sets.append(
            (kind, [np.asarray(x, np.float32) for x in noisy], [np.asarray(r, np.float32) for r in refs], 1.0)
        )
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "starts", nargs="*", type=Path, help="grey starts (.safetensors); default: the shipped camera start"
    )
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/polyu-dev"))
    args = parser.parse_args()
    grey = noise2info.make_config().model
    nets = {}
    shipped = find_pretrained(grey, "camera")
    if not args.starts and shipped is None:
        parser.error("no camera start ships with this installation; name start files")
    for path in args.starts or [shipped]:
        net = build_model(grey)
        net.load_state_dict(load_file(path), strict=True)
        nets[path.name] = net.eval()
    for name, noisy, clean, peak in _sets(Path(args.data)):
        for key, net in nets.items():
            t0 = time.perf_counter()
            gains = []
            for x, y in zip(noisy, clean, strict=True):
                out = np.clip(_per_channel(net, x), 0, peak)
                out = (np.round(out) if peak == 255 else out).astype(y.dtype)
                gains.append(
                    peak_signal_noise_ratio(y, out, data_range=peak)
                    - peak_signal_noise_ratio(y, x, data_range=peak)
                )
            g = np.asarray(gains)
            print(
                f"{name}: {key}: {g.mean():+.3f} dB (worst {g.min():+.2f}, "
                f"{int((g < 0).sum())} of {g.size} worse; {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
