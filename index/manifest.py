"""The index folder's manifest: format version, model and vector spaces, checked on open."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import IndexOpenError

FORMAT_VERSION = 1
MANIFEST_NAME = "index.json"


@dataclass
class IndexManifest:
    model: str
    spaces: dict[str, dict[str, object]]  # space -> {"model_id": str, "dimension": int}
    dtype: str = "bfloat16"
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    chunking: dict[str, int] = field(default_factory=lambda: {"min_words": 150, "max_words": 250})

    def write(self, folder: Path) -> None:
        tmp = folder / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(folder / MANIFEST_NAME)

    @classmethod
    def read(cls, folder: Path) -> IndexManifest:
        path = folder / MANIFEST_NAME
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise IndexOpenError(
                f"{folder} is not an index (no {MANIFEST_NAME}): build one with `cwg ingest FILES --index {folder}`"
            ) from exc
        except (OSError, ValueError) as exc:
            raise IndexOpenError(f"{path} is unreadable ({exc}): rebuild the index with `cwg ingest`") from exc
        return cls.from_dict(data, str(folder))

    @classmethod
    def from_dict(cls, data: dict[str, object], where: str) -> IndexManifest:
        """The manifest of the index at `where` (a folder, or a database), checked."""
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexOpenError(
                f"index {where} has format version {version}, this version of cwg reads {FORMAT_VERSION}: "
                f"rebuild it (delete the index and run `cwg ingest` again)"
            )
        known = {k: data[k] for k in ("model", "spaces", "dtype", "format_version", "created", "chunking") if k in data}
        return cls(**known)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
