"""Limits on reading one file: how much a zip-based file (DOCX) may unpack to, how long parsing may take.

A 0.8 MB DOCX whose document.xml inflates to 200 MB kept a core busy for minutes; with these limits it
fails at once with its reason and the rest of the batch goes on. The front door (CLI, HTTP app) sets
them from settings; the defaults leave room for any real contribution.
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass, field

from ingest.errors import LoadError
from ingest.ocr import OcrSettings

MB = 1024 * 1024
DEFAULT_MAX_UNPACKED_MB = 100
DEFAULT_MAX_PARSE_SECONDS = 120.0
MAX_ZIP_MEMBERS = 10_000


@dataclass(frozen=True)
class ReadLimits:
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_MB * MB
    max_parse_seconds: float = DEFAULT_MAX_PARSE_SECONDS
    ocr: OcrSettings = field(default_factory=OcrSettings)  # how scanned pages are read (ingest/ocr.py)

    def deadline(self) -> Deadline:
        return Deadline(self.max_parse_seconds)

    def check_zip(self, data: bytes) -> None:
        """Refuse a zip-based file that would unpack past the limit, before any parser inflates it.

        The sizes come from the zip's central directory; Python's zipfile stops a member at its declared
        size (and fails its CRC), so a member cannot inflate past what is counted here.
        """
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise LoadError(f"not a readable zip package ({exc})") from exc
        if len(members) > MAX_ZIP_MEMBERS:
            raise LoadError(f"the package holds {len(members)} parts, more than {MAX_ZIP_MEMBERS}")
        unpacked = sum(m.file_size for m in members)
        if unpacked > self.max_unpacked_bytes:
            raise LoadError(f"unpacks to {unpacked / MB:,.0f} MB, over the limit of "
                            f"{self.max_unpacked_bytes / MB:g} MB (setting CWG_MAX_UNPACKED_MB); "
                            f"a document this large is likely a decompression bomb")


@dataclass
class Deadline:
    """Checked between pages and paragraphs: parsing one file stops once it has taken too long."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self, where: str) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise LoadError(f"reading took longer than {self.seconds:g} s (setting CWG_MAX_PARSE_SECONDS); "
                            f"stopped at {where}")
