"""Re-embed an index's stored chunk texts with another model setting, without re-reading any file."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from index import vector_cache
from index.embedders import SPACE_MODEL_IDS, spaces_for_model
from index.folder import IndexFolder
from index.manifest import IndexManifest
from index.writer import embedding_text

BATCH = 256


def reindex(folder: IndexFolder, model: str, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Switch `folder` to `model`: add the vector spaces it needs, drop the ones it does not.

    Each space is written in one transaction, and the manifest changes only after all are in, so an
    interrupted reindex leaves an index that still opens with its old model (and can be rerun).
    Returns the number of chunks embedded per new space.
    """
    store = folder.store
    rows = store.embedding_inputs()  # first: a store that cannot be re-embedded in place says so before any work
    wanted = spaces_for_model(model)
    done: dict[str, int] = {}
    new_spaces = {s: {"model_id": SPACE_MODEL_IDS[s], "dimension": None} for s in wanted
                  if s not in folder.manifest.spaces}
    for space in new_spaces:
        from index.embedders import make_embedder

        embedder = make_embedder(space, folder.manifest.dtype)
        new_spaces[space]["dimension"] = embedder.dimension
        vectors: list[np.ndarray] = []
        for start in range(0, len(rows), BATCH):
            part = rows[start:start + BATCH]
            vectors.append(embedder.encode([embedding_text(r[1], r[2], r[3]) for r in part]))
            if progress:
                progress(len(part))
        matrix = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dimension), dtype=np.float32)
        store.replace_vectors(space, [r[0] for r in rows], matrix)  # one transaction
        done[space] = len(rows)
    spaces = {s: folder.manifest.spaces.get(s) or new_spaces[s] for s in wanted}
    store.save_manifest(IndexManifest(model=model, spaces=spaces, dtype=folder.manifest.dtype,
                                      created=folder.manifest.created, chunking=folder.manifest.chunking))
    for space in [s for s in folder.manifest.spaces if s not in wanted]:
        store.replace_vectors(space, [], None)
        vector_cache.remove(folder.path, space)
    return done
