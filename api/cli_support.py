"""What every `cwg` sub-command shares: exit codes, the usage error, safe printing, opening the index, writing
an output file, and the `Command` record each command module lists its commands with.

The command modules import this module and nothing of api/cli.py; api/cli.py imports their `COMMANDS` tables
and builds the parser and the dispatch from them (no import cycle, no lookup by name).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from api.settings import Settings
from index.folder import IndexFolder

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command line asking for something the command cannot do (exit code 2, with the message)."""


@dataclass(frozen=True)
class Command:
    """One sub-command: its name and help line (as `cwg --help` lists them), the function that adds its
    arguments, whether it reads an index (`--index` comes first), and the function that runs it."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]
    index: bool = True


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(line: str) -> str:
    """`line` with control characters escaped: a file named "a\\nb.txt" stays on one line, and no name
    can move the cursor or reverse the text of a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def open_index(args: argparse.Namespace, settings: Settings, **kwargs: object) -> IndexFolder:
    """The index of `--index` (the settings' default filled in by the CLI), at the precision asked."""
    dtype = getattr(args, "dtype", None) or settings.dtype
    return IndexFolder.open(args.index, dtype=dtype, vector_search=settings.vector_search,  # type: ignore[arg-type]
                            **kwargs)


def write_output(out: Path | None, data: str | bytes, *, binary_needs: str = "binary output needs --out FILE") -> None:
    """`data` to the file `out` (said on stderr), else text to the terminal; bytes need a file (`binary_needs`
    says so in the command's words)."""
    if out is None:
        if isinstance(data, bytes):
            raise UsageError(binary_needs)
        sys.stdout.write(data)
        return
    try:
        if isinstance(data, bytes):
            out.write_bytes(data)
        else:
            out.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out}", file=sys.stderr)
