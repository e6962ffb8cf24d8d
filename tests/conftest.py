"""Shared fixtures. Every test runs in its own temporary folder; real data is read in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent


def _find_shared_data() -> Path:
    """`$CWG_SHARED_DATA`, else the first `shared/data` beside the checkout or one of its parents."""
    if os.environ.get("CWG_SHARED_DATA"):
        return Path(os.environ["CWG_SHARED_DATA"])
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


SHARED_DATA = _find_shared_data()
SAMPLE = ROOT / "examples" / "cwg-cop-20"


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's settings or writes outside its own folder."""
    monkeypatch.delenv("CWG_INDEX", raising=False)
    monkeypatch.delenv("CWG_API_KEYS", raising=False)
    monkeypatch.chdir(tmp_path)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data not found at {path} (the shared data folder is absent)")
    return path


@pytest.fixture
def fake_embedders():
    from index.embedders import FakeEmbedder

    return {"minilm": FakeEmbedder("minilm")}


@pytest.fixture
def fake_index(tmp_path: Path, fake_embedders):
    """An empty index folder using the deterministic fake embedder."""
    from index.folder import IndexFolder

    folder = IndexFolder.open(tmp_path / "ix", create=True, embedders=fake_embedders)
    yield folder
    folder.close()


@pytest.fixture(scope="session")
def real_sample_index(tmp_path_factory: pytest.TempPathFactory):
    """The bundled sample corpus indexed once with the real bundled model (shared, read-only)."""
    from index.folder import IndexFolder
    from index.writer import IndexWriter, expand_paths
    from ingest.metadata import read_manifest

    path = tmp_path_factory.mktemp("sample") / "ix"
    folder = IndexFolder.open(path, create=True)
    files, _ = expand_paths([SAMPLE], {(SAMPLE / "manifest.csv").resolve()})
    report = IndexWriter(folder).ingest(files, read_manifest(SAMPLE / "manifest.csv").entries)
    assert not report.failed, report.failed
    folder.refresh_vectors()
    yield folder
    folder.close()


MIXED_CONTRIBUTIONS = ("malawi-training-of-trainers.txt", "euconsent-age-assurance.md",
                       "canada-combating-child-sexual-exploitation.md", "uae-online-child-protection-in-curriculum.md",
                       "roblox-safety-and-civility.md", "council-of-europe-lanzarote.pdf",
                       "icmec-csam-model-legislation.pdf", "bahrain-safesurf.docx")


@pytest.fixture(scope="session")
def mixed_index(tmp_path_factory: pytest.TempPathFactory):
    """A small mixed repository with the real models: eight of the sample meeting's contributions (with their
    manifest rows) and two reference files ingested as they come (shared, read-only but for tests that put back
    what they change)."""
    from index.folder import IndexFolder
    from index.writer import IndexWriter
    from ingest.metadata import read_manifest

    work = tmp_path_factory.mktemp("mixed")
    rows = [line for line in (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines()
            if line.startswith("path,") or line.split(",", 1)[0] in MIXED_CONTRIBUTIONS]
    (work / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in MIXED_CONTRIBUTIONS:
        (work / name).write_bytes((SAMPLE / name).read_bytes())
    folder = IndexFolder.open(work / "ix", create=True)
    writer = IndexWriter(folder)
    report = writer.ingest([work / n for n in MIXED_CONTRIBUTIONS], read_manifest(work / "manifest.csv").entries)
    assert not report.failed, report.failed
    library = [shared_data("policy_texts", "national_ai_strategies", "australia_ai_action_plan_2021.txt"),
               shared_data("policy_pdfs", "multilingual_child_online_safety",
                           "en__safeguarding_code_of_behaviour_for_volunteers.pdf")]
    assert not writer.ingest(library).failed
    folder.refresh_vectors()
    yield folder
    folder.close()


@pytest.fixture(scope="session")
def postgres_uri(tmp_path_factory: pytest.TempPathFactory):
    """A PostgreSQL 16 server with pgvector, started by pgserver for this test session (a unix socket in a
    temporary folder); skipped, with the reason, where it cannot start."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("run")))  # pgserver asks, CI has none
    try:
        import pgserver
    except ImportError:
        pytest.skip("pgserver is not installed (`make test` installs it from requirements.txt)")
    try:
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    except Exception as exc:  # noqa: BLE001 - any failure to start is a reason to skip, said in full
        pytest.skip(f"PostgreSQL (pgserver) could not start on this machine: {exc}")
    yield server.get_uri()
    server.cleanup()


def new_database(postgres_uri: str) -> str:
    """The URI of a new, empty database on the test server (each test its own: no state leaks between them)."""
    import uuid

    import psycopg

    name = f"cwg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_uri, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    head, sep, query = postgres_uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"


@pytest.fixture
def pg_index(postgres_uri: str, tmp_path: Path, fake_embedders, monkeypatch: pytest.MonkeyPatch):
    """An empty PostgreSQL index (a new database) using the deterministic fake embedder."""
    from index.folder import IndexFolder

    monkeypatch.setenv("CWG_CACHE", str(tmp_path / "cache"))
    folder = IndexFolder.open(new_database(postgres_uri), create=True, embedders=fake_embedders)
    yield folder
    folder.close()
