"""The title each document gets (ingest/metadata.py's `infer_title`), for every file of the sample meeting and
of ../shared/data/policy_pdfs and policy_texts, and what changed since an earlier run.

    .venv/bin/python bench/titles.py [--out FILE] [--before FILE]

Prints `file<TAB>title` per document and writes them as JSON (default bench/out/titles.json). With `--before`
(an earlier run's JSON), prints each title that changed as `before → after`, and how many changed; which of those
are right is judged by reading them (docs/guide/repository.md gives the count).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.errors import CwgError  # noqa: E402
from ingest.loaders import load_file  # noqa: E402
from ingest.metadata import infer_title  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FOLDERS = (ROOT / "examples" / "cwg-cop-20", SHARED / "policy_pdfs", SHARED / "policy_texts")
SUFFIXES = {".pdf", ".docx", ".txt", ".md", ".html", ".htm"}


def files() -> list[Path]:
    found = []
    for folder in FOLDERS:
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                            and p.name not in ("SOURCE.md", "README.md"))
    return found


def titles() -> dict[str, str]:
    out = {}
    for path in files():
        key = str(path.relative_to(ROOT.parent if path.is_relative_to(SHARED) else ROOT))
        try:
            loaded = load_file(path, path.read_bytes())
        except CwgError as exc:
            out[key] = f"(not read: {exc})"
            print(f"{key}\t{out[key]}", flush=True)
            continue
        out[key] = infer_title(loaded, path.name)
        print(f"{key}\t{out[key]}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "titles.json")
    parser.add_argument("--before", type=Path, help="an earlier run's JSON, to list the titles that changed")
    args = parser.parse_args()
    now = titles()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(now, ensure_ascii=False, indent=1))
    if args.before:
        before = json.loads(args.before.read_text())
        changed = [k for k in now if k in before and before[k] != now[k]]
        print(f"\n{len(changed)} of {len(now)} titles changed:")
        for key in changed:
            print(f"{key}\n    before: {before[key]}\n    after:  {now[key]}")


if __name__ == "__main__":
    main()
