"""A small Sphinx extension: pages written from the code when the docs build, so they cannot
drift from it. ``_generated/stages.md`` lists the default pipeline's stages in order
(:func:`noise2info.pipeline.describe`); ``_generated/settings.md`` the training options
(:func:`noise2info.config.settings`, which the CLI's options also come from)."""

from __future__ import annotations

from pathlib import Path


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _flat(settings: dict | None) -> str:
    if settings is None:
        return "always on"
    if not settings:
        return "(the defaults)"
    return ", ".join(f"`--{k.replace('_', '-')} {'auto' if v is None else v}`" for k, v in settings.items())


def stages_table() -> str:
    from noise2info.pipeline import describe

    rows = ["| # | stage | what it decides, from what | on (the default) | off |", "|---|---|---|---|---|"]
    for i, row in enumerate(describe(), 1):
        rows.append(
            f"| {i} | `{row['stage']}` | {_cell(row['doc'])} | {_flat(row['on'])} | {_flat(row['off'])} |"
        )
    return "\n".join(rows) + "\n"


def settings_table() -> str:
    from noise2info.config import settings

    rows = ["| option | default | meaning |", "|---|---|---|"]
    for s in settings():
        flag = "--" + s.name.replace("_", "-")
        choices = f" ({', '.join(map(str, s.choices))})" if s.choices else ""
        rows.append(f"| `{flag}` | {_cell(s.default)} | {_cell(s.help)}{choices} |")
    return "\n".join(rows) + "\n"


def write(app) -> None:
    out = Path(app.srcdir) / "_generated"
    out.mkdir(exist_ok=True)
    for name, text in (("stages.md", stages_table()), ("settings.md", settings_table())):
        path = out / name
        if not path.is_file() or path.read_text() != text:  # unchanged files keep Sphinx's cache
            path.write_text(text)


def setup(app):
    app.connect("builder-inited", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
