"""How far apart are the quality profiles of one contribution's language versions, and which one does the rule
of `search.retrieval.versions.most_complete` pick? Read on the sample meeting's two translated contributions
(their manifest symbols) and on the three Raspberry Pi guides of ../shared/data/policy_pdfs (3, 3 and 7 languages;
the file name after its `xx__` prefix names the guide), each file prepared as ingest prepares it (no model).

    .venv/bin/python bench/version_quality.py

Prints, per contribution, each version's language, signals found, score and passages, the version picked, and the
spread of the scores (what a reader would see differ between versions had each kept its own), and writes
bench/out/version_quality.json.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.prepare import prepare_document  # noqa: E402
from search.retrieval.versions import contribution_key, most_complete  # noqa: E402

SAMPLE = ROOT / "examples" / "cwg-cop-20"
GUIDES = ROOT.parent / "shared" / "data" / "policy_pdfs" / "multilingual_child_online_safety"


@dataclass
class Read:  # the fields `most_complete` reads of a document
    id: str
    language: str
    quality: float | None
    chunks: int
    found: int


def groups() -> dict[str, list[tuple[Path, str]]]:
    out: dict[str, list[tuple[Path, str]]] = {}
    with (SAMPLE / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keys = [contribution_key(r.get("symbol") or "") for r in rows]
    for row, key in zip(rows, keys):
        if key and keys.count(key) > 1:
            out.setdefault(key, []).append((SAMPLE / row["path"], row["language"]))
    if GUIDES.is_dir():
        for path in sorted(GUIDES.iterdir()):
            found = re.match(r"^([a-z]{2})__(.+)\.pdf$", path.name)
            if found:
                out.setdefault(found.group(2), []).append((path, found.group(1)))
    return out


def main() -> None:
    report = []
    for key, members in groups().items():
        read = []
        for path, language in members:
            prepared = prepare_document(path, entry={"language": language})
            profile = prepared.quality
            read.append(Read(path.stem, language, profile.score if profile else None, len(prepared.chunks),
                             sum(1 for r in profile.signals if r.found) if profile else 0))
        picked = most_complete(read, {r.id: r.found for r in read})  # type: ignore[arg-type]
        scores = [r.quality or 0.0 for r in read]
        print(f"\n{key}: picked {picked.language} ({picked.id}); score spread {max(scores) - min(scores):.2f}")
        for r in sorted(read, key=lambda r: (-r.found, r.language)):
            print(f"  {r.language}  signals {r.found:2d}  score {r.quality:.2f}  passages {r.chunks:3d}  {r.id}")
        report.append({"contribution": key, "picked": picked.id, "spread": round(max(scores) - min(scores), 4),
                       "versions": [r.__dict__ for r in read]})
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "version_quality.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
