"""Train the starting points shipped inside the package (``noise2info/models/weights``).

Dead-leaves images made from a seed (:mod:`noise2info.data.synthetic`; no licence question,
no benchmark image). ``--kind grey``: each with Gaussian noise of its own level, so the network
has seen the whole range a user may bring (normalised noise std about 0.1 to 0.93). ``--kind
camera``: colour leaves, enlarged 3x as photos from many-megapixel sensors are smooth at the
scale of a pixel (:func:`noise2info.data.camera.enlarge`), through a camera drawn at random for
each image (:func:`noise2info.data.camera.random_camera`: shot and read noise on a Bayer mosaic,
demosaicing, white balance, colour matrix, tone curve, in-camera noise reduction, JPEG), each
channel a grey image of its own as the default pipeline denoises colour photos; fine-tuned from
the grey start. ``--kind colour``: the same cameras for a network over all three channels
together (not shipped: docs/notes/benchmarks.md). The target is the same camera without noise.
Trained on clean targets, which a synthetic set has for free; a user's run then fine-tunes it on
their own noisy images with the default pipeline (``init = "pretrained"``; the ``correlation``
stage picks the camera start where the noise reads correlated).

    python tools/pretrain.py --steps 5000 --images 1200
    python tools/pretrain.py --kind camera --steps 2000 --images 800 --lr 3e-4

(``--quality LOW HIGH``: the JPEG qualities of the random cameras, 85 98 by default, as the
shipped camera start saw; other ranges were measured, not shipped: docs/notes/benchmarks.md.)

(grey: 1,538 s of training on the project's 2-core machine, 2026-12-01; camera: 303 s,
2026-12-07.)

Writes ``cpu-grey.safetensors`` / ``cpu-camera.safetensors`` / ``cpu-colour.safetensors``
(weights; the metadata holds the model config, the noise and this command) into
``src/noise2info/models/weights/``.
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from safetensors.torch import save_file

from noise2info import make_config, train
from noise2info.data.camera import JPEG_QUALITIES, PHOTO_ZOOM, enlarge, random_camera
from noise2info.data.synthetic import dead_leaves
from noise2info.errors import ConfigError

OUT = Path(__file__).resolve().parents[1] / "src" / "noise2info" / "models" / "weights"


def _colour_pair(
    seed_seq: np.random.SeedSequence, size: int, quality: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed_seq)
    clean = dead_leaves(size, rng, colour=True).astype(np.float64)
    reference, noisy = random_camera(rng, quality).apply(clean, rng)
    return reference.astype(np.float32), noisy.astype(np.float32)


def _camera_planes(
    seed_seq: np.random.SeedSequence, size: int, quality: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed_seq)
    small = dead_leaves(size // PHOTO_ZOOM + 2, rng, colour=True).astype(np.float64)
    clean = enlarge(small)[:, :size, :size]
    reference, noisy = random_camera(rng, quality).apply(clean, rng)
    return reference.astype(np.float32), noisy.astype(np.float32)


def _pair(
    seed_seq: np.random.SeedSequence, size: int, quality: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    del quality  # Gaussian noise: no JPEG
    rng = np.random.default_rng(seed_seq)
    clean = dead_leaves(size, rng)
    # Noise std relative to the clean image's, log-uniform: low noise is as common as high.
    rel = np.exp(rng.uniform(np.log(0.1), np.log(2.5)))
    noisy = clean + rng.normal(0, rel * clean.std(), clean.shape).astype(np.float32)
    return clean[None], noisy[None]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("grey", "camera", "colour"), default="grey")
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--images", type=int, default=1200)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--out", type=Path, default=None, help="default: weights/cpu-KIND.safetensors")
    p.add_argument(
        "--quality",
        type=int,
        nargs=2,
        default=JPEG_QUALITIES,
        metavar=("LOW", "HIGH"),
        help="camera and colour kinds: the JPEG qualities the random cameras save at",
    )
    a = p.parse_args()
    if a.kind == "grey" and tuple(a.quality) != JPEG_QUALITIES:
        p.error("--quality is for the camera and colour kinds (the grey start's noise is Gaussian)")
    try:  # random_camera's own check, here in one line rather than in the pool's workers
        random_camera(np.random.default_rng(0), tuple(a.quality))
    except ConfigError as err:
        p.error(f"--quality: {err}")
    a.out = a.out or OUT / f"cpu-{a.kind}.safetensors"

    t0 = time.time()
    # The camera set draws its images from seed + 1, so it is not the colour set's.
    seqs = np.random.SeedSequence(a.seed + (a.kind == "camera")).spawn(a.images)
    make = {"grey": _pair, "camera": _camera_planes, "colour": _colour_pair}[a.kind]
    with Pool(2) as pool:
        pairs = pool.starmap(make, [(s, a.size, tuple(a.quality)) for s in seqs])
    clean, noisy = [c for c, _ in pairs], [n for _, n in pairs]
    if a.kind == "camera":  # each channel a grey image
        clean = [c[k : k + 1] for c in clean for k in range(c.shape[0])]
        noisy = [n[k : k + 1] for n in noisy for k in range(n.shape[0])]
    print(f"{len(clean)} images in {time.time() - t0:.0f} s")

    # The camera start goes on from the grey one: it has already learnt what an edge is.
    init = "pretrained" if a.kind == "camera" else "random"
    config = make_config(method="supervised", preset="cpu", steps=a.steps, lr=a.lr, seed=a.seed, init=init)
    channels = clean[0].shape[0]
    config = config.model_copy(update={"model": config.model.model_copy(update={"channels": channels})})
    result = train(noisy, config, clean=clean, device="cpu")
    state = {k: v.detach().cpu().contiguous() for k, v in result.model.state_dict().items()}
    meta = {
        "format": "pt",
        "model": config.model.model_dump_json(),
        "noise": "camera" if a.kind == "camera" else "gaussian",
        "made_by": f"python tools/pretrain.py --kind {a.kind} --steps {a.steps} --images {a.images} "
        f"--size {a.size} --seed {a.seed} --lr {a.lr}"
        # named only when not the default, so the shipped files' metadata stays as it was made
        + (f" --quality {a.quality[0]} {a.quality[1]}" if tuple(a.quality) != JPEG_QUALITIES else ""),
        "train_seconds": f"{result.seconds:.0f}",
        "final_loss": json.dumps(result.history.steps[-1].get("loss")),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, a.out, metadata=meta)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1e6:.1f} MB) after {result.seconds:.0f} s of training")


if __name__ == "__main__":
    main()
