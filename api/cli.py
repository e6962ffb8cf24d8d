"""The `cwg` command line: the front door that reads settings and maps errors to exit codes."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from api.settings import Settings, SettingsError
from index.embedders import MODEL_NAMES
from index.folder import index_location
from ingest.errors import CwgError, ManifestError, QueryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cwg", description="Search and synthesis over CWG-COP contributions.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_index(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", type=index_location,
                       help="index folder or postgresql://USER@HOST:PORT/DB (default: $CWG_INDEX or ./cwg-index)")
        return p

    p = with_index(sub.add_parser("ingest", help="add or update files and folders (recursive)"))
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--manifest", type=Path, help="CSV/TSV/JSONL with a 'path' column and metadata columns")
    p.add_argument("--model", choices=MODEL_NAMES,
                   help="encoder set of a new index: default (English + multilingual), english (smaller, English only)")
    p.add_argument("--dtype", choices=("bfloat16", "float32"), help="encoder precision (default bfloat16)")
    p.add_argument("--collection", choices=("contributions", "library"),
                   help="the collection of every file ingested (a manifest's collection column wins; default: "
                        "contributions when a meeting is given or found, else library)")

    p = with_index(sub.add_parser("search", help="hybrid search with citations"))
    p.add_argument("query", metavar="QUERY")
    p.add_argument("-k", type=int, default=10, help="number of passages (default 10)")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="filter, repeatable: source, country, region, doc_type, actor_type, meeting, language, "
                        "collection (contributions, library, all), date_from, date_to, theme, risk, audience, "
                        "initiative_type, curation, min_quality")
    p.add_argument("--per-source", type=int, metavar="N", help="at most N passages per source")
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    p.add_argument("--min-relevance", type=_share, metavar="P",
                   help="the estimated probability of answering under which a passage is not shown (default: the "
                        "calibrated floor; 0 shows every passage)")
    p.add_argument("--json", action="store_true")

    p = with_index(sub.add_parser("similar", help="similar initiatives from other sources"))
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--document", metavar="DOC_ID")
    group.add_argument("--text", metavar="TEXT")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--json", action="store_true")

    p = with_index(sub.add_parser("documents", help="list indexed documents"))
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--json", action="store_true")

    p = with_index(sub.add_parser("remove", help="delete a document from every part of the index"))
    p.add_argument("document_id", metavar="DOC_ID", nargs="+")

    p = with_index(sub.add_parser("collection", help="move documents to the contributions or the library "
                                                     "(nothing is read or encoded again)"))
    p.add_argument("document_id", metavar="DOC_ID", nargs="+")
    p.add_argument("--to", choices=("contributions", "library"), required=True)

    p = with_index(sub.add_parser("reindex", help="re-embed stored chunks for another --model (no file is re-read)"))
    p.add_argument("--model", choices=MODEL_NAMES, required=True)

    p = sub.add_parser("migrate", help="copy an index into a new, empty one: folder ↔ postgresql://… (no re-embedding)")
    p.add_argument("--from", dest="source", type=index_location, required=True, metavar="INDEX",
                   help="the index to copy (a folder or a postgresql:// URI); it is only read")
    p.add_argument("--to", dest="destination", type=index_location, required=True, metavar="INDEX",
                   help="an empty index to copy into (a new folder, or an empty database)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="retrieval quality on a BEIR-layout collection (nDCG@10, Recall@100, MRR@10)")
    p.add_argument("dataset", type=Path, metavar="DATASET_DIR",
                   help="folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    p.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    p.add_argument("--model", choices=MODEL_NAMES, default="default")
    p.add_argument("--split", default="test", help="qrels file to score against (default test)")
    p.add_argument("--keep-index", type=Path, metavar="DIR",
                   help="build (or reuse and update) the evaluation index in DIR instead of a temporary folder")
    p.add_argument("--json", action="store_true")
    p = with_index(sub.add_parser("serve", help="HTTP API and web page (http://HOST:PORT/)"))
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=None,
                   help="server processes sharing the port (default: CWG_WORKERS, else 1; see docs/measurements.md: Serving many users)")
    from api.synthesis_commands import add_parsers as add_synthesis_parsers

    add_synthesis_parsers(sub, with_index)  # tag, matrix, synthesize
    from api.repository_commands import add_parsers as add_repository_parsers

    add_repository_parsers(sub, with_index)  # curate, curation, select, card, check
    return parser


def _share(value: str) -> float:
    """A number from 0 to 1 (argparse type)."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"cwg: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "index", None) is None:
        args.index = settings.index
    from api import commands

    handler = getattr(commands, f"cmd_{args.command}")
    try:
        return int(handler(args, settings))
    except UsageError as exc:
        print(printable(f"cwg {args.command}: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except CwgError as exc:
        print(printable(f"cwg {args.command}: {exc}"), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, (QueryError, ManifestError)) else EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: files already reported are committed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(line: str) -> str:
    """`line` with control characters escaped: a file named "a\\nb.txt" stays on one line, and no name
    can move the cursor or reverse the text of a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":  # `python -m api.cli`: run the importable module, so exception classes match
    from api.cli import main as _main

    raise SystemExit(_main())
