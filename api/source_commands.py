"""`cwg sources`: each source the index holds, with its document count and the aliases that name it; `--apply`
renames stored documents' sources through the current alias table (ingest/organisations.yaml and the aliases
manifests added), a metadata update only: nothing is read or encoded again. `COMMANDS` lists it for api/cli.py."""

from __future__ import annotations

import argparse

from api.cli_support import EXIT_OK, Command, open_index, print_json, printable
from api.settings import Settings
from index.sources import apply_sources, plan_sources, source_rows


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    folder = open_index(args, settings)
    try:
        if args.apply:
            changes = apply_sources(folder.store)
        elif args.dry_run:
            changes = plan_sources(folder.store)
        else:
            rows = source_rows(folder.store)
    finally:
        folder.close()
    if args.apply or args.dry_run:
        if args.json:
            print_json({"applied": bool(args.apply), "changes": [c.to_json() for c in changes]})
            return EXIT_OK
        for change in changes:
            print(printable(f"{change.document_id}: {change.before!r} → {change.after!r}"))
        n = len(changes)
        verb = "renamed" if args.apply else "would be renamed (run with --apply)"
        print(f"{n} document{'s' if n != 1 else ''} {verb}" if n else "every source is named as the table names it")
        return EXIT_OK
    if args.json:
        print_json({"sources": [r.to_json() for r in rows]})
        return EXIT_OK
    for row in rows:
        line = f"{row.documents:5d}  {row.source or '(no source)'}"
        if row.becomes:
            line += f"  → {row.becomes} (run `cwg sources --apply`)"
        if row.aliases:
            line += f"  [also: {'; '.join(row.aliases)}]"
        print(printable(line))
    return EXIT_OK


def _sources_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group()
    what.add_argument("--apply", action="store_true",
                      help="rename stored documents' sources through the current alias table (metadata only)")
    what.add_argument("--dry-run", action="store_true", help="list what --apply would rename, change nothing")
    p.add_argument("--json", action="store_true")


COMMANDS = [
    Command("sources", "sources with their document counts and aliases; --apply names each stored source once",
            _sources_arguments, cmd_sources),
]
