"""Language identification of short texts (questions): which library names the language right, how fast.

Every search on an index with the multilingual space asks the language of its query (ingest/language.py,
`query_language`: the fusion weights depend on it), so its cost is paid per request, in Python that
holds the interpreter lock. Texts: our cross-language queries and delegate questions (7 languages, each
labelled with its language) and 200 SciFact claims (English). Writes bench/out/language_id.json.

    .venv/bin/python bench/language_id.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.language import language_probabilities, language_shares  # noqa: E402

CLAIMS = ROOT.parent / "shared" / "data" / "ir_benchmarks" / "scifact" / "queries.jsonl"


def texts() -> list[tuple[str, str]]:
    """(language, text) pairs."""
    out = []
    for line in (ROOT / "bench" / "cross_language_queries.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        out.append((row["language"], row["query"]))
    for line in (ROOT / "bench" / "labels" / "delegate_questions.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        out.append((row["language"], row["question"]))
    if CLAIMS.exists():
        out += [("en", json.loads(line)["text"]) for line in CLAIMS.open(encoding="utf-8")][:200]
    else:
        print(f"note: {CLAIMS} is absent; the SciFact claims are left out", file=sys.stderr)
    return out


def best(shares: dict[str, float]) -> str:
    return max(shares, key=shares.__getitem__).split("-")[0] if shares else ""


def main() -> int:
    pairs = texts()
    rows = []
    for name, guess in (("langdetect", lambda t: best(language_probabilities(t))),
                        ("py3langid (language_shares)", lambda t: best(language_shares(t)))):
        guess("warm up the model")
        cpu = time.process_time()
        found = [guess(text) for _, text in pairs]
        ms = 1000 * (time.process_time() - cpu) / len(pairs)
        right = sum(f == lang for f, (lang, _) in zip(found, pairs))
        other = [(f, lang) for f, (lang, _) in zip(found, pairs) if lang != "en"]
        rows.append({"library": name, "texts": len(pairs), "right": right,
                     "right_not_english": sum(f == lang for f, lang in other), "not_english": len(other),
                     "cpu_ms_per_text": round(ms, 3)})
        print(f"{name:<28} right {right}/{len(pairs)} (not English: {rows[-1]['right_not_english']}/{len(other)}), "
              f"{ms:.3f} ms CPU per text")
    out = ROOT / "bench" / "out" / "language_id.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
