"""The same contribution in four formats must get the same quality profile (issue 23: "the same draft scores
within 0.1 across .txt, .md, .docx and .pdf"), checked on every real contribution at hand, not on one draft.

    .venv/bin/python bench/quality_formats.py [--cues]

Each Markdown or text contribution of examples/cwg-cop-20 and bench/corpus/cwg-cop-21 is cut into headings,
paragraphs and list items (a `#` line or a short line standing alone is a heading; front matter is dropped) and
written again as .txt (headings as lines), .md (`#` headings, `-` lists), .docx (heading styles, list styles)
and .pdf (large bold type for headings; only documents whose text Helvetica can print). Each file is read as
ingest reads it and scored as the index scores it (by meaning; `--cues`: the cue lists alone). Prints, per
document, the four scores, the spread (highest minus lowest) and the signals that differ; then how many
documents spread over 0.1. Writes bench/out/quality-formats.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.prepare import prepare_document  # noqa: E402
from tests.ingest.drafts import blocks_of, write_formats  # noqa: E402  (the writer the tests use)

FOLDERS = (ROOT / "examples" / "cwg-cop-20", ROOT / "bench" / "corpus" / "cwg-cop-21")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cues", action="store_true", help="the cue lists alone (no sentence vectors)")
    args = parser.parse_args()
    from ingest.quality import assess

    encode = model = None
    if not args.cues:
        from bench.quality_meaning_eval import cached_encoder
        from ingest.quality_meaning import load_model

        encode, model = cached_encoder(), load_model()
    rows = {}
    for folder in FOLDERS:
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".md", ".txt"):
                continue
            blocks = blocks_of(path.read_text(encoding="utf-8"))
            with tempfile.TemporaryDirectory() as tmp:
                profiles = {}
                for ext, file in write_formats(blocks, Path(tmp)).items():
                    text = prepare_document(file).text
                    profiles[ext] = assess(text, None, None, encode, model)
            scores = {ext: p.score for ext, p in profiles.items()}
            found = {ext: {s.id for s in p.signals if s.found} for ext, p in profiles.items()}
            every = set.union(*found.values())
            differ = sorted(s for s in every if any(s not in f for f in found.values()))
            spread = round(max(scores.values()) - min(scores.values()), 4)
            rows[path.stem] = {"scores": scores, "spread": spread, "differ": differ}
            print(f"{path.stem[:44]:44s} " + " ".join(f"{ext} {s:.2f}" for ext, s in scores.items())
                  + f"  spread {spread:.2f} {', '.join(differ)}")
    over = [d for d, r in rows.items() if r["spread"] > 0.1]
    spreads = sorted(r["spread"] for r in rows.values())
    summary = {"documents": len(rows), "over_0.1": len(over), "max_spread": spreads[-1],
               "median_spread": spreads[len(spreads) // 2], "with_pdf": sum("pdf" in r["scores"] for r in rows.values())}
    print(json.dumps(summary))
    out = ROOT / "bench" / "out" / ("quality-formats-cues.json" if args.cues else "quality-formats.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "documents": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
