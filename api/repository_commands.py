"""`cwg curate` and `cwg curation`: the curators' statuses (best practice, promising, noted, none), each
with a reason, who and when, kept as an append-only history; exported and imported as JSON for backup.

Also `cwg select`, `cwg card`, `cwg template` and `cwg check`. Each command's arguments are beside the function
that runs it; `COMMANDS` lists them for api/cli.py. The HTTP routes (`PUT/GET /documents/{id}/curation`) call the
same store operations.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import cast

from api.cli_support import EXIT_OK, Command, UsageError, open_index, print_json, write_output
from api.settings import Settings
from index.filters import Filters
from ingest.records import CURATION_STATUSES
from search.characterization.render_repository import (
    CARD_FORMATS,
    SELECT_FORMATS,
    card_html,
    card_markdown,
    select_csv,
    select_docx,
    select_html,
    select_markdown,
    template_docx,
    template_markdown,
)

MAX_REASON = 2000
DOCX_NEEDS_OUT = "--format docx needs --out FILE"


def check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("--reason must say why (it is shown with the status)")
    if len(reason) > MAX_REASON:
        raise UsageError(f"--reason is longer than {MAX_REASON} characters")
    return reason


def cmd_curate(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.repository import curation_of

    reason = check_reason(args.reason)
    by = " ".join((args.by or getpass.getuser() or "unknown").split())[:100]
    folder = open_index(args, settings)
    try:
        event = folder.store.curate(args.document_id, args.status, reason, by)
        others = [v.document_id for v in curation_of(folder.store, args.document_id)["versions"]]
    finally:
        folder.close()
    if args.json:
        print_json(event)
    else:
        print(f"{event['document_id']}: {event['status']} ({event['reason']}), by {event['by']} at {event['at']}")
        if others:
            print(f"the status holds for its other language versions too: {', '.join(others)}", file=sys.stderr)
    return EXIT_OK


def _read_events(path: Path) -> list[dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    events = data.get("curation") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise UsageError(f"{path}: expected {{\"curation\": [events]}} as written by `cwg curation --export`")
    out = []
    for n, e in enumerate(events, start=1):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) and e.get(k) for k in
                                               ("document_id", "status", "by", "at")) \
                or not isinstance(e.get("reason"), str):
            raise UsageError(f"{path}: event {n} needs document_id, status, reason, by and at (strings)")
        if e["status"] not in CURATION_STATUSES:
            raise UsageError(f"{path}: event {n}: status {e['status']!r} is not one of {', '.join(CURATION_STATUSES)}")
        out.append({k: e[k] for k in ("document_id", "status", "reason", "by", "at")})
    return out


def cmd_curation(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.repository import curation_of

    events = _read_events(args.import_file) if args.import_file else None
    folder = open_index(args, settings)
    try:
        if events is not None:
            added = folder.store.import_curation(events)
            print(f"imported {added} of {len(events)} events ({len(events) - added} were here already)",
                  file=sys.stderr)
        history = curation_of(folder.store, args.document_id)["history"] if args.document_id else \
            folder.store.curation_history(None)
    finally:
        folder.close()
    if args.export:
        try:
            args.export.write_text(json.dumps({"curation": history}, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.export}: {exc.strerror or exc}") from None
        print(f"wrote {len(history)} events to {args.export}", file=sys.stderr)
        return EXIT_OK
    if args.json:
        print_json({"curation": history})
        return EXIT_OK
    if args.document_id and {e["document_id"] for e in history} - {args.document_id}:
        print(f"{args.document_id}: the history of its contribution, every language version (the latest status "
              f"holds for all)", file=sys.stderr)
    for e in history:
        print(f"{e['at']}  {e['document_id']:40.40}  {e['status']:13}  {e['by']:16.16}  {e['reason']}")
    if not history:
        print("no curation yet")
    return EXIT_OK


def cmd_select(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.repository import select
    from search.characterization.tagging import taxonomy_for

    filters = Filters.parse(args.where)
    if args.min_quality is not None:
        filters.add("min_quality", str(args.min_quality))
    if not 1 <= args.limit <= 1000:
        raise UsageError("--limit must be between 1 and 1000")
    folder = open_index(args, settings)
    try:
        entries = [e.to_json() for e in select(folder, taxonomy_for(folder.store), filters, args.limit)]
    finally:
        folder.close()
    described = "; ".join([*args.where, *([f"min_quality={args.min_quality}"] if args.min_quality is not None else [])])
    render = {"md": lambda: select_markdown(entries, described), "csv": lambda: select_csv(entries),
              "html": lambda: select_html(entries, described), "docx": lambda: select_docx(entries, described),
              "json": lambda: json.dumps({"documents": entries}, ensure_ascii=False, indent=2) + "\n"}
    write_output(args.out, render[args.format](), binary_needs=DOCX_NEEDS_OUT)
    return EXIT_OK


def cmd_card(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.repository import card
    from search.characterization.tagging import taxonomy_for

    folder = open_index(args, settings)
    try:
        data = card(folder, taxonomy_for(folder.store), args.document_id)
    finally:
        folder.close()
    if args.format == "json":
        print_json(data)
    else:
        sys.stdout.write(card_markdown(data) if args.format == "md" else card_html(data))
    return EXIT_OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from search.characterization.repository import check

    if not args.file.is_file():
        raise UsageError(f"{args.file} is not a file")
    folder = open_index(args, settings)
    try:  # the limits of uploads: unpacked size and parsing time, and the passages compared
        data = check(folder, args.file, limits=settings.read_limits, max_passages=settings.check_max_passages)
    finally:
        folder.close()
    if args.json:
        print_json(data)
        return EXIT_OK
    for note in cast(list[str], data["notes"]):  # a draft cut to its first passages says so first
        print(f"Note: {note}\n")
    sys.stdout.write(card_markdown({**data, "labels": [], "curation": {}}))
    if data["to_add"]:
        print("\nTo add before submitting:")
        for hint in data["to_add"]:
            print(f"- {hint}")
    return EXIT_OK


def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.quality import load_signals

    signals = load_signals(args.signals)
    write_output(args.out, template_markdown(signals) if args.format == "md" else template_docx(signals),
                 binary_needs=DOCX_NEEDS_OUT)
    return EXIT_OK


# --- arguments, and the table api/cli.py builds the parser and the dispatch from -----------------------------
def _curate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID")
    p.add_argument("--status", required=True, choices=list(CURATION_STATUSES))
    p.add_argument("--reason", required=True, help="why (shown with the badge and in the history)")
    p.add_argument("--by", help="who decides (default: the user name)")
    p.add_argument("--json", action="store_true")


def _curation_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID", nargs="?", help="whose history (default: every document)")
    p.add_argument("--export", type=Path, metavar="FILE", help="write the whole history as JSON")
    p.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                   help="add the events of an exported history that this index does not hold yet")
    p.add_argument("--json", action="store_true")


def _select_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="filter, repeatable (theme=…, risk=…, region=…, curation=…, min_quality=…)")
    p.add_argument("--min-quality", type=float, metavar="X", help="documents with a quality score of at least X")
    p.add_argument("--limit", type=int, default=50, help="at most this many documents (default 50)")
    p.add_argument("--format", choices=SELECT_FORMATS, default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (required for docx)")


def _card_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("document_id", metavar="DOC_ID")
    p.add_argument("--format", choices=CARD_FORMATS, default="md")


def _template_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("md", "docx"), default="md")
    p.add_argument("--signals", type=Path, metavar="FILE", help="quality signals YAML (default: the shipped one)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (required for docx)")


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true")


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    from search.retrieval.versions import link, propose, versions

    folder = open_index(args, settings)
    try:
        if args.link:
            group = link(folder.store, args.link)
            if args.json:
                print_json({"linked": group})
            else:
                print("versions of one contribution: " + ", ".join(group))
            return EXIT_OK
        if args.propose:
            proposals = propose(folder)
            if args.json:
                print_json({"proposals": [p.to_json() for p in proposals]})
            else:
                for p in proposals:
                    print(f"{p.a.document_id} ({p.a.language}) ~ {p.b.document_id} ({p.b.language}): "
                          f"alignment {p.alignment:.2f}")
                print(f"{len(proposals)} proposed; confirm with `cwg versions --link DOC DOC`", file=sys.stderr)
            return EXIT_OK
        with folder.store.snapshot():
            groups = versions(folder.store).groups()
    finally:
        folder.close()
    if args.json:
        print_json({"versions": [[v.to_json() for v in g] for g in groups]})
    else:
        for g in groups:
            print(" = ".join(f"{v.document_id} ({v.language})" for v in g))
        if not groups:
            print("no contribution in this index has versions in other languages (symbols, or --link)")
    return EXIT_OK


def _versions_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group()
    what.add_argument("--propose", action="store_true",
                      help="pairs in different languages that align passage for passage (no symbol links them)")
    what.add_argument("--link", nargs="+", metavar="DOC", help="confirm these documents are versions of one "
                                                               "contribution")
    p.add_argument("--json", action="store_true")


COMMANDS = (
    Command("curate", "mark a document best_practice, promising, noted or none, with a reason (kept in its history)",
            _curate_arguments, cmd_curate),
    Command("curation", "a document's curation history, or every status as JSON (--export) and back (--import)",
            _curation_arguments, cmd_curation),
    Command("select", "the reading list of the best content on a filter: best practice, promising, then by quality",
            _select_arguments, cmd_select),
    Command("card", "a contribution's card: characterization, quality signals, similar prior contributions, what it "
                    "adds", _card_arguments, cmd_card),
    Command("template", "the contribution template, generated from the quality signals", _template_arguments,
            cmd_template, index=False),
    Command("check", "the card of a draft before it is submitted: what it shows, what to add, what it should "
                     "reference (nothing is indexed)", _check_arguments, cmd_check),
    Command("versions", "language versions of one contribution: the groups, proposals where no symbol says so "
                        "(--propose), a curator's confirmation (--link)", _versions_arguments, cmd_versions),
)
