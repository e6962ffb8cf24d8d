"""The `cwg` command line: the front door that reads settings, builds the parser and the dispatch from the
commands' tables (api/commands.py, synthesis_commands.py, repository_commands.py) and maps errors to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from api import commands, quality_commands, repository_commands, source_commands, synthesis_commands
from api.cli_support import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Command, UsageError, printable
from api.settings import Settings, SettingsError
from index.folder import index_location
from ingest.errors import CwgError, ManifestError, QueryError

# in the order `cwg --help` lists them
COMMANDS: tuple[Command, ...] = (*commands.COMMANDS, *synthesis_commands.COMMANDS, *repository_commands.COMMANDS,
                                 *source_commands.COMMANDS, *quality_commands.COMMANDS)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser(table: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    parser = _Parser(prog="cwg", description="Search and synthesis over CWG-COP contributions.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in table:
        p = sub.add_parser(command.name, help=command.help)
        if command.index:
            p.add_argument("--index", type=index_location,
                           help="index folder or postgresql://USER@HOST:PORT/DB (default: $CWG_INDEX or ./cwg-index)")
        command.arguments(p)
    return parser


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
    command = {c.name: c for c in COMMANDS}[args.command]
    try:
        return int(command.run(args, settings))
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


if __name__ == "__main__":  # `python -m api.cli`
    raise SystemExit(main())
