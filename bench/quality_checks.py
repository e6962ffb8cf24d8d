"""Checks of the quality profile that need no hand labels (issue 23): the blank template's score, the same draft
in four formats, the correlation of score and length, and where one contribution ranks in the sample.

    .venv/bin/python bench/quality_checks.py [--rank malawi-training-of-trainers]

- template: `cwg template` as Markdown and as DOCX, scored as `cwg check` scores a draft (aim: 0.1 or less);
- formats: one strong draft as .txt, .md, .docx and .pdf (aim: within 0.1 of each other);
- length: Spearman's rho of score and length in words among the sample contributions (examples/cwg-cop-20)
  and among the reference files (../shared/data/policy_pdfs and policy_texts, read in place; aim: |rho| <= 0.3);
- against the hand grades (bench/labels/quality, both batches): among the labelled documents of each group, how
  the annotators' grade itself follows length, and the score's length correlation once the grade is accounted for
  (partial Spearman: what the score adds of length beyond what the annotators' judgement has);
- rank: the given contribution's place among the sample contributions by score (1 = best).

The texts of the reference files are cached in bench/out (keyed by the loaders' source), so a second run takes
seconds. Writes bench/out/quality-checks.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality_eval import shared_id, spearman  # noqa: E402
from ingest.prepare import prepare_document  # noqa: E402
from tests.ingest.drafts import draft_files  # noqa: E402  (the draft the tests score)

SAMPLE = ROOT / "examples" / "cwg-cop-20"
SHARED = ROOT.parent / "shared" / "data"
SUFFIXES = (".md", ".txt", ".docx", ".pdf", ".html")
CACHE = ROOT / "bench" / "out" / "quality-checks-texts.json"

LABELS = [ROOT / "bench" / "labels" / "quality" / name for name in ("signals.jsonl", "signals_batch2.jsonl")]
CORPUS21 = ROOT / "bench" / "corpus" / "cwg-cop-21"

MEANING: dict[str, object] = {}  # "encode" and "model" when the profile is read by meaning (the default)


def assess_text(text: str) -> float:
    from ingest.quality import assess

    return assess(text, None, None, MEANING.get("encode"), MEANING.get("model")).score  # type: ignore[arg-type]


def score(path: Path) -> float:
    prepared = prepare_document(path)
    assert prepared.quality is not None
    return assess_text(prepared.text) if MEANING else prepared.quality.score


def _loader_key() -> str:
    digest = hashlib.sha256()
    for name in ("loaders.py", "textclean.py", "pdf_text.py", "chunking.py"):
        digest.update((ROOT / "ingest" / name).read_bytes())
    return digest.hexdigest()[:16]


def reference_texts() -> dict[str, str]:
    """Reference file → its text as ingest reads it (cached)."""
    key = _loader_key()
    if CACHE.exists():
        cached = json.loads(CACHE.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return dict(cached["texts"])
    from ingest.chunking import chunk_blocks
    from ingest.loaders import load_file

    texts = {}
    for folder in ("policy_pdfs", "policy_texts"):
        for path in sorted((SHARED / folder).rglob("*")):
            if path.suffix not in (".pdf", ".txt") or path.name.startswith("SOURCE"):
                continue
            try:
                text, _ = chunk_blocks(load_file(path).blocks)
            except Exception as exc:  # noqa: BLE001 - a file the loader refuses is reported, not fatal
                print(f"{path.name}: {exc}", file=sys.stderr)
                continue
            texts[f"{folder}/{path.relative_to(SHARED / folder)}"] = text
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps({"key": key, "texts": texts}), encoding="utf-8")
    return texts


def grades() -> dict[str, int]:
    """Document id (as bench/labels/quality names it) → the hand grade, both batches."""
    rows = [json.loads(line) for path in LABELS for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {row["document_id"]: int(row["grade"]) for row in rows}


def against_grades(scored: dict[str, tuple[float, int]], graded: dict[str, int]) -> dict[str, object]:
    """Among the documents of `scored` (id → (score, words)) that have a hand grade: Spearman of grade and
    length, of score and length, of score and grade, and the partial Spearman of score and length given the grade."""
    ids = [d for d in scored if d in graded]
    if len(ids) < 4:
        return {"documents": len(ids)}
    score = [scored[d][0] for d in ids]
    words = [float(scored[d][1]) for d in ids]
    grade = [float(graded[d]) for d in ids]
    gl, sl, sg = spearman(grade, words), spearman(score, words), spearman(score, grade)
    denominator = ((1 - sg * sg) * (1 - gl * gl)) ** 0.5
    return {"documents": len(ids), "grade_length": round(gl, 3), "score_length": round(sl, 3),
            "score_grade": round(sg, 3),
            "score_length_given_grade": round((sl - sg * gl) / denominator, 3) if denominator else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rank", default="malawi-training-of-trainers")
    parser.add_argument("--skip-reference", action="store_true", help="leave the reference files out")
    parser.add_argument("--cues", action="store_true", help="the cue lists alone (no sentence vectors)")
    args = parser.parse_args()
    if not args.cues:
        from bench.quality_meaning_eval import cached_encoder
        from ingest.quality_meaning import load_model

        MEANING.update(encode=cached_encoder(), model=load_model())
    from ingest.quality import load_signals
    from search.characterization.render_repository import template_docx, template_markdown

    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "template.md").write_text(template_markdown(load_signals()), encoding="utf-8")
        (folder / "template.docx").write_bytes(template_docx(load_signals()))
        result["template"] = {name: score(folder / name) for name in ("template.md", "template.docx")}
        result["formats"] = {ext: score(path) for ext, path in draft_files(folder).items()}
    sample, meeting21 = {}, {}
    for folder, scored in ((SAMPLE, sample), (CORPUS21, meeting21)):
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES:
                prepared = prepare_document(path)
                assert prepared.quality is not None
                scored[path.stem] = (assess_text(prepared.text) if MEANING else prepared.quality.score,
                                     len(prepared.text.split()))
    ranked = sorted(sample, key=lambda d: -sample[d][0])
    result["rank"] = {"document": args.rank, "rank": ranked.index(args.rank) + 1 if args.rank in sample else None,
                      "of": len(ranked), "score": sample.get(args.rank, (None,))[0]}
    lengths: dict[str, object] = {"sample": {
        "documents": len(sample),
        "spearman": round(spearman([s for s, _ in sample.values()], [float(n) for _, n in sample.values()]), 3)},
        "contributions_21": {"documents": len(meeting21), "spearman": round(spearman(
            [s for s, _ in meeting21.values()], [float(n) for _, n in meeting21.values()]), 3)}}
    graded = grades()
    lengths["graded_contributions"] = against_grades(sample | meeting21, graded)
    if not args.skip_reference:
        reference = {name: (assess_text(text), len(text.split())) for name, text in reference_texts().items()}
        lengths["reference"] = {
            "documents": len(reference),
            "spearman": round(spearman([s for s, _ in reference.values()], [float(n) for _, n in reference.values()]), 3),
            "mean_score": round(sum(s for s, _ in reference.values()) / len(reference), 3)}
        result["reference_scores"] = dict(sorted(reference.items(), key=lambda kv: -kv[1][0]))
        lengths["graded_reference"] = against_grades(
            {shared_id(Path(name).stem): value for name, value in reference.items()}, graded)
    result["length"] = lengths
    result["sample_scores"] = {d: sample[d] for d in ranked}
    summary = {k: result[k] for k in ("template", "formats", "rank", "length")}
    print(json.dumps(summary, indent=1))
    out = ROOT / "bench" / "out" / ("quality-checks-cues.json" if args.cues else "quality-checks.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
