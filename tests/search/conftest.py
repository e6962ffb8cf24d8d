"""Fixtures of the search tests: a tagged copy of the real sample index (the shared one stays read-only)."""

from __future__ import annotations

import shutil
import sqlite3

import pytest


@pytest.fixture(scope="session")
def tagged_sample_index(real_sample_index, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the real sample index, tagged with the shipped taxonomy (reuses the loaded model)."""
    from index.folder import IndexFolder
    from index.manifest import MANIFEST_NAME
    from search.characterization.tagging import Tagger
    from search.characterization.taxonomy import load_taxonomy

    path = tmp_path_factory.mktemp("tagged") / "ix"
    path.mkdir()
    shutil.copy(real_sample_index.path / MANIFEST_NAME, path / MANIFEST_NAME)
    (path / "files").mkdir()
    source = sqlite3.connect(str(real_sample_index.path / "store.sqlite"))
    target = sqlite3.connect(str(path / "store.sqlite"))
    source.backup(target)
    source.close()
    target.close()
    embedders = {space: real_sample_index.embedder(space) for space in real_sample_index.spaces}
    folder = IndexFolder.open(path, embedders=embedders)
    Tagger(folder, load_taxonomy()).tag()
    folder.refresh_vectors()
    yield folder
    folder.close()
