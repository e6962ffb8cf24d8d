"""The pages without a text layer in a folder of PDFs: what each holds, and what ingest does with them now.

    .venv/bin/python bench/scanned_pages.py [FOLDER] [--out bench/out/scanned_pages.json]

For every PDF under FOLDER (default ../shared/data/policy_pdfs, read in place): the pages whose text is under
MIN_PAGE_CHARS after normalisation (the loader's "low-text" pages, which it used to flag "no text layer …
(scanned?)"), each classified by `ingest.pdf_text.classify_pages` (image share, ink share at 18 dpi, kind). Then
the ingest figures: pages read, low-text pages, pages called scanned before (every low-text page) and now (image
pages), pages OCR'd, and seconds: the text reading alone (`read_pdf`, what loading took before) and the whole
`load_pdf` with classification and OCR (now). One thread, files read from memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.errors import LoadError  # noqa: E402
from ingest.loaders import load_pdf  # noqa: E402
from ingest.pdf_text import MIN_PAGE_CHARS, classify_pages, read_pdf  # noqa: E402
from ingest.textclean import normalize_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "policy_pdfs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scanned_pages.json")
    args = parser.parse_args()
    rows, totals = [], {"files": 0, "refused": 0, "pages": 0, "low_text": 0, "image": 0, "blank": 0, "drawn": 0,
                        "ocr_pages": 0, "read_s": 0.0, "load_s": 0.0}
    print(f"{'file':58} {'page':>4} {'kind':6} {'image':>6} {'ink':>7}")
    for path in sorted(args.folder.rglob("*.pdf")):
        data = path.read_bytes()
        totals["files"] += 1
        started = time.perf_counter()
        try:
            pages = read_pdf(data).pages
        except LoadError:
            totals["refused"] += 1
            continue
        totals["read_s"] += time.perf_counter() - started
        started = time.perf_counter()
        doc = load_pdf(data)
        totals["load_s"] += time.perf_counter() - started
        totals["ocr_pages"] += len({b.page for b in doc.blocks if b.ocr_confidence is not None})
        totals["pages"] += len(pages)
        low = [i for i, text in enumerate(pages) if len(normalize_text("".join(text.splitlines())).strip()) < MIN_PAGE_CHARS]
        for index, content in sorted(classify_pages(data, low).items()):
            totals["low_text"] += 1
            totals[content.kind] += 1
            name = str(path.relative_to(args.folder))
            rows.append({"file": name, "page": index + 1, "kind": content.kind, "image_share": content.image_share,
                         "ink_share": content.ink_share})
            print(f"{name[:58]:58} {index + 1:>4} {content.kind:6} {content.image_share:6.2f} {content.ink_share:7.4f}")
    print(f"\n{totals['files']} PDFs ({totals['refused']} refused), {totals['pages']} pages read; "
          f"{totals['low_text']} low-text pages in {len({r['file'] for r in rows})} PDFs")
    print(f"called scanned: before {totals['low_text']} (every low-text page), now {totals['image']} "
          f"(image pages); blank {totals['blank']}, drawn {totals['drawn']}; pages OCR'd {totals['ocr_pages']}")
    print(f"seconds: reading the text {totals['read_s']:.1f} (before), loading with classification and OCR "
          f"{totals['load_s']:.1f} (now)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"totals": totals, "pages": rows}, indent=1))


if __name__ == "__main__":
    main()
