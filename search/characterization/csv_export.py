"""The one way the product writes CSV: every text cell made safe to open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by spreadsheet programs as a
formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`): such a cell is prefixed with a single quote, OWASP's rule for
CSV injection. Control characters (a NUL in a curator's reason) are replaced by spaces. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value: object) -> object:
    """`value` as a spreadsheet should read it: text that a spreadsheet would run is quoted."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return _CONTROL.sub(" ", value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (`\\n` line ends) of `header` and `rows`, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()
