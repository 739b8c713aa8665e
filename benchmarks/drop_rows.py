"""Copy a bench report's results.json (or an unfinished run's partial.json) into a new
folder without some methods' rows, so that ``noise2info bench ... --resume`` into that
folder retrains only those methods and keeps the others' rows (their code and settings
unchanged).

    python benchmarks/drop_rows.py benchmarks/results/bsd68-cpu-b16 \
        benchmarks/results/bsd68-cpu-posterior "noise2info (default)" "noise2info (default, fine-tuned)"
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("methods", nargs="+")
    args = ap.parse_args()
    source = args.source / "results.json"
    if not source.is_file():  # an unfinished run: the rows it saved so far
        source = args.source / "partial.json"
    report = json.loads(source.read_text())
    for case in report["cases"]:
        case["methods"] = [r for r in case["methods"] if r["method"] not in args.methods]
    args.dest.mkdir(parents=True, exist_ok=False)
    (args.dest / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.dest / 'results.json'}: {sum(len(c['methods']) for c in report['cases'])} rows kept")


if __name__ == "__main__":
    main()
