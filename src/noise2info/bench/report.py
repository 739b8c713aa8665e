"""Report a suite's results: markdown table with the paper's figures, JSON, sigma plot."""

from __future__ import annotations

import json
from pathlib import Path

from ..plotting import pyplot
from .paper import TABLE2, TABLE3, TABLE4, TABLE5

# Our method names -> the column names of Tables 4 and 5.
_SHORT = {
    "noise2info-R": "noise2info",
    "noise2info-D": "noise2info",
    "noise2same-R (sigma_loss=1)": "noise2same (1)",
    "noise2same-D (sigma_loss=1)": "noise2same (1)",
    "noise2same-D (oracle sigma_n)": "noise2same (sigma_n)",
    "noise2self-D": "noise2self",
}


def paper_psnr(suite: str, case: str, method: str) -> float | None:
    if suite in TABLE2:
        return TABLE2[suite].get(method)
    if suite == "hanzi-gauss":
        return TABLE4[float(case.split("=")[1])].get(_SHORT.get(method, ""))
    if suite == "hanzi-other":
        return TABLE5[case].get(_SHORT.get(method, ""))
    return None


def paper_sigma(suite: str, case: str) -> tuple[float, float] | None:
    """The paper's (sigma_loss, sigma_n) for this case, when it reports one."""
    if suite in TABLE3:
        r, d, n = TABLE3[suite]
        return (r + d) / 2, n
    if suite == "hanzi-gauss":
        row = TABLE4[float(case.split("=")[1])]
        return row["sigma_loss"], row["sigma_n"]
    if suite == "hanzi-other":
        return TABLE5[case]["sigma_loss"], TABLE5[case]["sigma_n"]
    return None


def _fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def verdicts(case: dict) -> list[str]:
    """Plain statements: sigma within 5 %, noise2info vs noise2same(1), gaps to the oracles."""
    by = {m["method"]: m for m in case["methods"]}
    lines = []
    n = case["sigma_n_train"]
    for v in ("R", "D"):
        m = by.get(f"noise2info-{v}")
        if m is None or m.get("psnr") is None:
            continue
        s = m["sigma_loss"]
        lines.append(
            f"noise2info-{v}: sigma_loss {s:.4f} vs sigma_n {n:.4f} ({100 * (s / n - 1):+.1f} %, "
            f"{'within' if abs(s / n - 1) <= 0.05 else 'outside'} 5 %)"
        )
        base = by.get(f"noise2same-{v} (sigma_loss=1)")
        if base and base.get("psnr") is not None:
            d = m["psnr"] - base["psnr"]
            lines.append(
                f"noise2info-{v} vs noise2same-{v} (sigma_loss=1): {d:+.2f} dB "
                f"({'at least as good' if d >= 0 else 'worse'})"
            )
        for ref in ("noise2same-D (oracle sigma_n)", "BM3D (oracle sigma)"):
            r = by.get(ref)
            if r and r.get("psnr") is not None:
                lines.append(f"noise2info-{v} vs {ref}: {m['psnr'] - r['psnr']:+.2f} dB")
    if case.get("sigma_images") is not None:  # a run's sigma for independent noise, every method
        e = case["sigma_images"] / n - 1
        lines.append(
            f"sigma from the training images alone: {case['sigma_images']:.4f} vs sigma_n {n:.4f} "
            f"({100 * e:+.1f} %, {'within' if abs(e) <= 0.03 else 'outside'} 3 %)"
        )
    for name in ("noise2info (default)", "noise2info (default, fine-tuned)"):
        lines += _targets(name, by, n)
    if "colour_shift" in case.get("noisy", {}):  # colour balance, in 8-bit levels
        shifts = [
            f"{m['method']} {255 * m['colour_shift']:.2f}" for m in case["methods"] if "colour_shift" in m
        ]
        lines.append(
            f"colour balance (largest shift of a channel's mean, 8-bit levels): noisy input "
            f"{255 * case['noisy']['colour_shift']:.2f}; " + ", ".join(shifts)
        )
    for m in case["methods"]:  # the expected gain without a clean image, against the truth
        if m.get("gain_estimated") is not None:
            lines.append(
                f"{m['method']}: expected gain {m['gain_estimated']:+.2f} dB (estimated) vs "
                f"{m['gain_true']:+.2f} dB (true); made worse {m['worse_true']} image(s), "
                f"{m['worse_flagged']} of them flagged; flagged {m['flagged']}"
            )
    return lines


def _targets(name: str, by: dict, sigma_n: float) -> list[str]:
    """Issue 10's targets for a default pipeline: its network's readout against sigma_n, at least
    0.2 dB above noise2self-D, within 0.5 dB of supervised; a fine-tuned pipeline also
    against the fine-tuned peers."""
    m = by.get(name)
    if m is None or m.get("psnr") is None:
        return []
    lines = []
    if m.get("sigma") is not None:
        e = m["sigma"] / sigma_n - 1
        lines.append(
            f"{name}: sigma (readout) {m['sigma']:.4f} vs sigma_n {sigma_n:.4f} ({100 * e:+.1f} %, "
            f"{'within' if abs(e) <= 0.03 else 'outside'} 3 %)"
        )
    refs = [("noise2self-D", 0.2), ("supervised", -0.5)]
    if name.endswith("fine-tuned)"):
        refs += [(f"{ref} (fine-tuned)", margin) for ref, margin in refs]
    for ref, margin in refs:
        r = by.get(ref)
        if r and r.get("psnr") is not None:
            d = m["psnr"] - r["psnr"]
            met = "met" if d >= margin else "not met"
            lines.append(f"{name} vs {ref}: {d:+.2f} dB (target {margin:+.1f} dB: {met})")
    return lines


def markdown(results: dict) -> str:
    out = [f"### `{results['suite']}` at budget `{results['budget']}`", ""]
    out.append(
        f"{results['date']}; {results['machine']}; torch {results['torch']}; preset "
        f"`{results['preset']}`, batch {results['batch_size']}, patch {results['patch_size']}, "
        f"seed {results['seed']}; whole suite {results['seconds'] / 60:.1f} min."
    )
    for case in results["cases"]:
        ps = paper_sigma(results["suite"], case["paper_key"])
        second = " PSNR (max(Y)) |" if "psnr_max_y" in case["noisy"] else ""

        def extra(row: dict, second=second) -> str:
            return f" {row['psnr_max_y']:.2f} |" if second else ""

        out += [
            "",
            f"**{case['name']}**: {case['noise']}; {case['train_images']} train / "
            f"{case['test_images']} test images; {case['steps']} steps; true sigma_n (train) "
            f"{case['sigma_n_train']:.4f}"
            + (f"; paper: sigma_loss {ps[0]:.4f} vs sigma_n {ps[1]:.4f}" if ps else ""),
            "",
            f"| method | PSNR ({case.get('psnr_peak', 'max(Y) per image')}) |{second} SSIM | paper PSNR "
            "| train s | predict s/image | sigma_loss | sigma (readout) |",
            "|---|---|" + ("---|" if second else "") + "---|---|---|---|---|---|",
        ]
        noisy_paper = paper_psnr(results["suite"], case["paper_key"], "noisy input")
        out.append(
            f"| noisy input | {case['noisy']['psnr']:.2f} |{extra(case['noisy'])} "
            f"{case['noisy']['ssim']:.3f} | "
            f"{_fmt(noisy_paper)} | | | | |"
        )
        for m in case["methods"]:
            if m.get("psnr") is None:
                out.append(f"| {m['method']} | - |{' - |' if second else ''} - | | | | | {m['note']} |")
                continue
            out.append(
                f"| {m['method']} | {m['psnr']:.2f} |{extra(m)} {m['ssim']:.3f} | "
                f"{_fmt(paper_psnr(results['suite'], case['paper_key'], m['method']))} | "
                f"{m['train_seconds']:.0f} | {m['predict_seconds']:.3f} | {_fmt(m['sigma_loss'], '.4f')} | "
                f"{_fmt(m.get('sigma'), '.4f')} |"
            )
        out += [""] + [f"- {line}" for line in verdicts(case)]
    return "\n".join(out) + "\n"


def plot_sigma(results: dict, path: Path) -> None:
    """sigma_loss against training steps with sigma_n as a line (the paper's Fig. 4)."""
    plt = pyplot()
    cases = results["cases"]
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 3.6), squeeze=False)
    for ax, case in zip(axes[0], cases, strict=True):
        for m in case["methods"]:
            curve = m.get("sigma_curve")
            if m["method"].startswith("noise2info") and curve:
                steps, values = zip(*[(0, 1.0), *curve], strict=True)
                line = ax.plot(steps, values, drawstyle="steps-post", label=m["method"])[0]
                stars = [(st, v) for st, v in m.get("sigma_star_curve", []) if v is not None]
                if stars:  # each round's estimate, the running minimum of which is sigma_loss
                    ax.plot(*zip(*stars, strict=True), ".", color=line.get_color(), alpha=0.6)
        ax.axhline(case["sigma_n_train"], color="k", ls="--", label="sigma_n")
        ax.set_title(case["name"], fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("sigma_loss")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(results: dict, out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "results.md").write_text(markdown(results))
    plot_sigma(results, out / "sigma.png")
    return out
