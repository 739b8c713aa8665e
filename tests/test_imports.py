"""The core stays light: the plugin's and the exporters' libraries load only when used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "napari",
    "qtpy",
    "PyQt6",
    "PySide6",
    "vispy",
    "onnx",
    "onnxruntime",
    "onnxscript",
    "bioimageio",
    "playwright",
)


def test_import_noise2info_and_its_cli_load_no_plugin_or_export_library():
    code = (
        "import sys, json, noise2info, noise2info.cli; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    found = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    assert found == []
