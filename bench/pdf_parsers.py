"""pypdf against pypdfium2 (pdfium) on real PDFs, page by page: speed, agreement, garbage, empty pages.

    .venv/bin/python bench/pdf_parsers.py [FOLDER] [--show NAME:PAGE]

For every PDF under FOLDER (default ../shared/data/policy_pdfs), each parser extracts every page's text
the way the loader calls it (`ingest.pdf_text.read_pdf_pypdf`, `read_pdf_pdfium`: open, decrypt with
the empty password, per-page text, metadata), timed from the bytes in memory to the list of pages.
Reported per file and in total:
- pages per parser (the numbering must be the same: page i of one is page i of the other);
- seconds per parser;
- agreement: per page, difflib's ratio (2·matches / total) between the two word sequences after the
  loader's normalisation (NFKC, controls dropped; line-end hyphens mended as `join_lines` does), words
  = runs of letters/digits, case-folded; averaged over pages weighted by their word counts. Order
  matters in it (reading order is part of what a chunk is); `bag` is the same ratio on the sorted
  words, so a low `agree` with a high `bag` means the same words in another order;
- bad characters: the share of visible characters that are NUL, U+FFFD or private-use;
- empty pages: under MIN_PAGE_CHARS characters after normalisation (the loader's "no text layer");
- failures: a file a parser refuses (with the reason), pages whose extraction raised.
Also what `read_pdf` (pdfium, pypdf fallback) does: its time and the pages it takes from pypdf.
Prints a table and writes bench/out/pdf_parsers.json, with each file's least agreeing pages and
short excerpts of both texts, for reading by eye; `--show NAME:PAGE` prints one page from both.
"""

from __future__ import annotations

import argparse
import difflib
import json
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.errors import LoadError  # noqa: E402
from ingest.pdf_text import (  # noqa: E402
    GARBLED_SHARE,
    MIN_PAGE_CHARS,
    PdfPages,
    bad_char_share,
    read_pdf,
    read_pdf_pdfium,
    read_pdf_pypdf,
)
from ingest.textclean import join_lines, normalize_text  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "data" / "policy_pdfs"
PARSERS = {"pypdf": read_pdf_pypdf, "pdfium": read_pdf_pdfium}
_WORD = re.compile(r"[^\W_]+")


def page_words(text: str) -> list[str]:
    """The words the index would see: normalised as the loader does, hyphenated line ends mended."""
    return _WORD.findall(join_lines(normalize_text(text).splitlines()).casefold())


def similarity(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def word_break_differences(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """Where the two differ only by spaces ("DU TRAVAIL" / "DUTRAVAIL"): the spans that `a` splits
    where `b` has one word, and the spans `b` splits where `a` has one word (as "a b|ab")."""
    a_splits: list[str] = []
    b_splits: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace" and "".join(a[i1:i2]) == "".join(b[j1:j2]):
            pair = f"{' '.join(a[i1:i2])}|{' '.join(b[j1:j2])}"
            (a_splits if i2 - i1 > j2 - j1 else b_splits).append(pair)
    return a_splits, b_splits


def extract(name: str, data: bytes) -> tuple[PdfPages | None, float, str | None]:
    start = time.perf_counter()
    try:
        pages = PARSERS[name](data)
    except LoadError as exc:
        return None, time.perf_counter() - start, str(exc)
    except Exception as exc:  # noqa: BLE001 - the point is to see every way a parser fails
        return None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"
    return pages, time.perf_counter() - start, None


def is_empty(text: str) -> bool:
    return len(normalize_text(text).strip()) < MIN_PAGE_CHARS


def excerpt(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def compare_file(path: Path, folder: Path) -> dict:
    data = path.read_bytes()
    row: dict = {"file": str(path.relative_to(folder))}
    results = {}
    for name in PARSERS:
        read, seconds, error = extract(name, data)
        results[name] = read
        texts = read.pages if read else []
        visible = sum(len(t) - sum(c.isspace() for c in t) for t in texts)
        row[name] = {
            "pages": len(texts) if read else None, "seconds": round(seconds, 3), "error": error,
            "chars": visible, "empty_pages": [i for i, t in enumerate(texts, start=1) if is_empty(t)],
            "bad_char_share": round(sum(bad_char_share(t) * (len(t) - sum(c.isspace() for c in t))
                                        for t in texts) / visible, 4) if visible else 0.0,
            "garbled_pages": [i for i, t in enumerate(texts, start=1) if bad_char_share(t) >= GARBLED_SHARE],
        }
    start = time.perf_counter()
    try:
        chosen = read_pdf(data)
        row["read_pdf"] = {"seconds": round(time.perf_counter() - start, 3), "parser": chosen.parser,
                           "fallback_pages": chosen.fallback_pages}
    except LoadError as exc:
        row["read_pdf"] = {"seconds": round(time.perf_counter() - start, 3), "error": str(exc)}
    a, b = results["pypdf"], results["pdfium"]
    if a is None or b is None:
        return row
    row["same_page_count"] = len(a.pages) == len(b.pages)
    page_rows: list[dict] = []
    row["pypdf_splits"], row["pdfium_splits"] = [], []
    for number, (ta, tb) in enumerate(zip(a.pages, b.pages), start=1):
        wa, wb = page_words(ta), page_words(tb)
        a_splits, b_splits = word_break_differences(wa, wb)
        row["pypdf_splits"] += a_splits
        row["pdfium_splits"] += b_splits
        page_rows.append({"page": number, "words": (len(wa), len(wb)), "agree": similarity(wa, wb),
                      "bag": similarity(sorted(wa), sorted(wb)), "pypdf": excerpt(ta), "pdfium": excerpt(tb)})
    weight = [max(p["words"]) for p in page_rows]
    total = sum(weight) or 1
    row["agree"] = round(sum(p["agree"] * w for p, w in zip(page_rows, weight)) / total, 4)
    row["bag"] = round(sum(p["bag"] * w for p, w in zip(page_rows, weight)) / total, 4)
    row["words"] = [sum(p["words"][0] for p in page_rows), sum(p["words"][1] for p in page_rows)]
    row["weight"] = total
    worst = sorted((p for p in page_rows if max(p["words"]) >= 20), key=lambda p: p["agree"])[:3]
    row["least_agreeing_pages"] = [{**p, "agree": round(p["agree"], 3), "bag": round(p["bag"], 3)} for p in worst]
    return row


def show(folder: Path, spec: str) -> int:
    name, _, page = spec.rpartition(":")
    matches = [p for p in sorted(folder.rglob("*.pdf")) if name in str(p)]
    if not matches:
        print(f"no PDF under {folder} matches {name!r}", file=sys.stderr)
        return 2
    data = matches[0].read_bytes()
    for parser in PARSERS:
        pages, _, error = extract(parser, data)
        print(f"===== {parser}: {matches[0].name} page {page} =====")
        print(error or pages.pages[int(page) - 1])  # type: ignore[union-attr]
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--show", metavar="NAME:PAGE", help="print one page as each parser extracts it")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "pdf_parsers.json")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"no folder {args.folder}: the shared PDFs are absent; pass a folder of PDFs", file=sys.stderr)
        return 2
    if args.show:
        return show(args.folder, args.show)
    files = sorted(args.folder.rglob("*.pdf"))
    rows = []
    print(f"{'file':<48}  {'pages':>9}  {'seconds':>14}  {'agree   bag':>11}  {'bad chars':>13}  {'empty':>7}")
    print(f"{'':<48}  {'pypdf pdfium':>9}  {'pypdf pdfium':>14}  {'':>11}  {'pypdf pdfium':>13}  {'pypdf pdfium':>7}")
    for path in files:
        row = compare_file(path, args.folder)
        rows.append(row)
        print_row(row)
    totals = summarise(rows)
    print_totals(totals)
    result = {"folder": str(args.folder), "python": platform.python_version(),
              "agreement": "difflib ratio of normalised word sequences, word-weighted over pages",
              "totals": totals, "files": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


def summarise(rows: list[dict]) -> dict:
    both = [r for r in rows if "agree" in r]
    weight = sum(r["weight"] for r in both) or 1
    totals: dict = {"files": len(rows), "compared": len(both),
                    "page_count_mismatches": [r["file"] for r in both if not r["same_page_count"]],
                    "agree": round(sum(r["agree"] * r["weight"] for r in both) / weight, 4),
                    "bag": round(sum(r["bag"] * r["weight"] for r in both) / weight, 4),
                    "word_breaks_only_pypdf": sum(len(r["pypdf_splits"]) for r in both),
                    "word_breaks_only_pdfium": sum(len(r["pdfium_splits"]) for r in both)}
    for name in PARSERS:
        ok = [r[name] for r in rows if r[name]["error"] is None]
        chars = sum(x["chars"] for x in ok) or 1
        totals[name] = {
            "pages": sum(x["pages"] for x in ok), "seconds": round(sum(r[name]["seconds"] for r in rows), 2),
            "bad_char_share": round(sum(x["bad_char_share"] * x["chars"] for x in ok) / chars, 4),
            "empty_pages": sum(len(x["empty_pages"]) for x in ok),
            "garbled_pages": sum(len(x["garbled_pages"]) for x in ok),
            "failures": {r["file"]: r[name]["error"] for r in rows if r[name]["error"]},
        }
    totals["read_pdf"] = {"seconds": round(sum(r["read_pdf"]["seconds"] for r in rows), 2),
                          "files_by_pypdf": [r["file"] for r in rows if r["read_pdf"].get("parser") == "pypdf"],
                          "fallback_pages": sum(len(r["read_pdf"].get("fallback_pages", [])) for r in rows)}
    return totals


def print_row(row: dict) -> None:
    a, b = row["pypdf"], row["pdfium"]
    cells = [f"{Path(row['file']).name[:48]:<48}", f"{a['pages'] or '-':>4} {b['pages'] or '-':>4}",
             f"{a['seconds']:7.2f} {b['seconds']:6.2f}"]
    if "agree" in row:
        cells.append(f"{row['agree']:5.3f} {row['bag']:5.3f}")
        cells.append(f"{a['bad_char_share']:6.2%} {b['bad_char_share']:6.2%}")
        cells.append(f"{len(a['empty_pages']):>3} {len(b['empty_pages']):>3}")
    else:
        cells.append(f"fails: pypdf={a['error']!r:.60} pdfium={b['error']!r:.60}")
    print("  ".join(cells), flush=True)


def print_totals(t: dict) -> None:
    print()
    print(f"{'':<22}{'pages':>7}{'seconds':>9}{'bad chars':>11}{'empty pages':>13}{'garbled':>9}{'failed files':>14}")
    for name in PARSERS:
        x = t[name]
        print(f"{name:<22}{x['pages']:>7}{x['seconds']:>9.2f}{x['bad_char_share']:>11.3%}{x['empty_pages']:>13}"
              f"{x['garbled_pages']:>9}{len(x['failures']):>14}")
    r = t["read_pdf"]
    print(f"{'read_pdf (pdfium+pypdf)':<22}{'':>7}{r['seconds']:>9.2f}  files by pypdf: {len(r['files_by_pypdf'])},"
          f" pages from pypdf: {r['fallback_pages']}")
    print(f"agreement (difflib ratio, word sequences): {t['agree']:.3f}; same words in any order: {t['bag']:.3f};"
          f" files compared {t['compared']}/{t['files']}; page-count mismatches: {t['page_count_mismatches'] or 'none'}")
    print(f"spans differing only by spaces: pypdf splits a word pdfium keeps whole {t['word_breaks_only_pypdf']}"
          f" times; pdfium splits one pypdf keeps whole {t['word_breaks_only_pdfium']} times")
    for name in PARSERS:
        for file, error in t[name]["failures"].items():
            print(f"{name} refuses {file}: {error}")


if __name__ == "__main__":
    raise SystemExit(main())
