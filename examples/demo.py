"""The main job's first part: a few example searches over the sample index, printed with citations."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

CWG = str(Path(sys.executable).with_name("cwg"))
EXAMPLES: list[tuple[str, list[str]]] = [
    ("Which laws protect children from online sexual exploitation?", ["-k", "5", "--per-source", "1"]),
    ("age verification of users on platforms", ["-k", "3"]),
    ("training teachers and educators", ["-k", "3", "--where", "region=Africa"]),
    ("formation des décideurs à la protection des enfants en ligne", ["-k", "3"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", default="cwg-index")
    args = parser.parse_args()
    for query, options in EXAMPLES:
        print(f"\n$ cwg search {query!r} {' '.join(options)}", flush=True)
        code = subprocess.call([CWG, "search", query, "--index", args.index, *options])
        if code:
            return code
    print("\n$ cwg similar --document euconsent-age-assurance -k 3", flush=True)
    return subprocess.call([CWG, "similar", "--document", "euconsent-age-assurance", "--index", args.index, "-k", "3"])


if __name__ == "__main__":
    raise SystemExit(main())
