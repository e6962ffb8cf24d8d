"""What every notebook starts with: the bundled sample corpus indexed (and tagged) in a temporary
folder, and the folder where plots are saved (notebooks/output/, ignored by git)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent
SAMPLE = ROOT / "examples" / "cwg-cop-20"


def output_dir() -> Path:
    out = NOTEBOOKS / "output"
    out.mkdir(exist_ok=True)
    return out


def build_sample_index(tag: bool = True):  # type: ignore[no-untyped-def]
    """Index examples/cwg-cop-20 with the bundled model into a new temporary folder; tag it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.folder import IndexFolder
    from index.writer import IndexWriter, expand_paths
    from ingest.metadata import read_manifest

    path = Path(tempfile.mkdtemp(prefix="cwg-notebook-")) / "index"
    folder = IndexFolder.open(path, create=True)
    files, _ = expand_paths([SAMPLE], {(SAMPLE / "manifest.csv").resolve()})
    report = IndexWriter(folder).ingest(files, read_manifest(SAMPLE / "manifest.csv").entries)
    if report.failed:
        raise RuntimeError(f"sample corpus did not index: {report.failed}")
    folder.refresh_vectors()
    if tag:
        from search.characterization.tagging import Tagger
        from search.characterization.taxonomy import load_taxonomy

        Tagger(folder, load_taxonomy()).tag()
    return folder
