"""Sources named once in an index (index/sources.py), on both stores: a manifest's alias and canonical name give
one source at ingest; `apply_sources` renames documents indexed before an alias existed; the aliases a manifest
adds are kept in the store's state for later ingests."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.sources import (
    ALIASES_STATE,
    apply_sources,
    keep_aliases,
    plan_sources,
    source_rows,
    stored_aliases,
)
from index.writer import IndexWriter, SourceFile
from ingest.metadata import read_manifest


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest) -> IndexFolder:
    return request.getfixturevalue("fake_index" if request.param == "sqlite" else "pg_index")


def _files(folder: Path, manifest: str, **texts: str) -> tuple[list[Path], Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.md"
        path.write_text(f"# {name.replace('_', ' ').title()}\n\n{text}\n", encoding="utf-8")
        paths.append(path)
    (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    return paths, folder / "manifest.csv"


def _sources(index: IndexFolder) -> dict[str, str]:
    with index.store.snapshot():
        return {d.id: d.source for d in index.store.documents()}


def _source_counts(index: IndexFolder) -> dict[str, int]:
    with index.store.snapshot():
        return dict(index.store.facet_table().counts(None)["source"])


def test_an_alias_and_the_canonical_name_are_one_source_at_ingest(index: IndexFolder, tmp_path: Path) -> None:
    paths, manifest = _files(
        tmp_path / "in", "path,source\nvolunteers.md,Raspberry Pi Foundation\nparents.md,https://www.raspberrypi.org/\n"
        "codes.md,RASPBERRY-PI FOUNDATION\nhelpline.md,unicef.org\nsweden.md,Save the Children Sweden\n",
        volunteers="Volunteers follow the safeguarding code of behaviour in every online session.",
        parents="Parents prepare the device and talk with their child about staying safe online.",
        codes="Young people agree to the online code of behaviour before a coding club starts.",
        helpline="A helpline answers children who report abuse online.",
        sweden="Children in Sweden learn to report harmful content.")
    report = IndexWriter(index).ingest(paths, read_manifest(manifest).entries)
    assert not report.failed, report.failed
    assert _sources(index) == {"volunteers": "Raspberry Pi Foundation", "parents": "Raspberry Pi Foundation",
                               "codes": "Raspberry Pi Foundation", "helpline": "UNICEF",
                               "sweden": "Save the Children Sweden"}  # a near-miss stays its own source
    assert _source_counts(index) == {"Raspberry Pi Foundation": 3, "UNICEF": 1, "Save the Children Sweden": 1}
    with index.store.snapshot():
        kinds = {d.id: d.actor_type for d in index.store.documents()}
    assert kinds["parents"] == "civil_society" and kinds["helpline"] == "un_agency"  # from the canonical name
    rows = {r.source: r for r in source_rows(index.store)}
    assert rows["Raspberry Pi Foundation"].documents == 3
    assert "raspberrypi.org" in rows["Raspberry Pi Foundation"].aliases


def test_apply_renames_documents_indexed_before_an_alias_was_added(index: IndexFolder, tmp_path: Path) -> None:
    paths, manifest = _files(
        tmp_path / "in", "path,source,actor_type\nreport.md,Civic Data Lab,\nbrief.md,CDL,civil_society\n"
        "other.md,Example Trust,\n",
        report="The tracker follows how the law is implemented in courts.",
        brief="The brief sums up how special courts handle cases involving children.",
        other="An unrelated trust funds libraries.")
    writer = IndexWriter(index)
    assert not writer.ingest(paths, read_manifest(manifest).entries).failed
    assert _source_counts(index) == {"Civic Data Lab": 1, "CDL": 1, "Example Trust": 1}
    assert plan_sources(index.store) == []  # nothing to rename yet

    added, refused = keep_aliases(index.store, {"CDL": "Civic Data Lab", "UNICEF": "Civic Data Lab"})
    assert added == {"CDL": "Civic Data Lab"}
    assert len(refused) == 1 and "'UNICEF' is 'UNICEF'" in refused[0]  # the vocabulary's names are not taken
    generation = index.store.generation()
    changes = apply_sources(index.store)
    assert [(c.document_id, c.before, c.after) for c in changes] == [("brief", "CDL", "Civic Data Lab")]
    assert changes[0].actor_type == "civil_society"  # the manifest's actor type is kept
    assert index.store.generation() > generation  # derived caches (facets, filters) see the new source
    assert _source_counts(index) == {"Civic Data Lab": 2, "Example Trust": 1}
    with index.store.snapshot():
        brief = index.store.document("brief")
    assert brief.entry["source"] == "CDL" and brief.chunks > 0  # a metadata update: the entry and chunks are kept
    assert apply_sources(index.store) == []  # applied once, nothing left


def test_manifest_aliases_are_kept_for_later_ingests(index: IndexFolder, tmp_path: Path) -> None:
    first, manifest = _files(
        tmp_path / "first", "path,source,aliases\nplan.md,Ministry of ICT of Ruritania,MICT Ruritania; mict.gov.rr\n"
        ",Civic Data Lab,CDL\n",
        plan="The national plan trains teachers in online safety.")
    read = read_manifest(manifest)
    assert read.problems == [] and read.aliases == {"MICT Ruritania": "Ministry of ICT of Ruritania",
                                                    "mict.gov.rr": "Ministry of ICT of Ruritania",
                                                    "CDL": "Civic Data Lab"}
    report = IndexWriter(index).ingest(first, read.entries, aliases=read.aliases)
    assert not report.failed and set(report.aliases_added) == {"MICT Ruritania", "mict.gov.rr", "CDL"}
    assert index.store.state_record(ALIASES_STATE) is not None
    assert stored_aliases(index.store)["mict.gov.rr"] == "Ministry of ICT of Ruritania"

    later, manifest = _files(  # a later ingest, without any aliases column: the index remembers them
        tmp_path / "later", "path,source\nupdate.md,https://mict.gov.rr/news\nnote.md,mict ruritania\n"
        "tracker.md,CDL\n",
        update="An update on the teacher training plan.", note="A note on the plan's budget.",
        tracker="A tracker of court cases.")
    assert not IndexWriter(index).ingest(later, read_manifest(manifest).entries).failed
    sources = _sources(index)
    assert sources["update"] == sources["note"] == sources["plan"] == "Ministry of ICT of Ruritania"
    assert sources["tracker"] == "Civic Data Lab"


def test_a_manifest_alias_renames_what_was_indexed_before_it(index: IndexFolder, tmp_path: Path) -> None:
    old, manifest = _files(tmp_path / "old", "path,source\nold.md,Ruritania Child Helpline\n",
                           old="The helpline answered more calls this year.")
    assert not IndexWriter(index).ingest(old, read_manifest(manifest).entries).failed
    new, manifest = _files(tmp_path / "new", "path,source,aliases\nnew.md,Child Helpline of Ruritania,"
                                             "Ruritania Child Helpline\n",
                           new="The helpline trained new counsellors.")
    read = read_manifest(manifest)
    report = IndexWriter(index).ingest(new, read.entries, aliases=read.aliases)
    assert report.renamed == ["old"]
    assert set(_sources(index).values()) == {"Child Helpline of Ruritania"}


def test_aliases_without_a_source_are_reported_not_used(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,source,aliases\na.md,,ABC\nb.md,Alpha Body,AB\nc.md,Beta Body,AB\n", encoding="utf-8")
    read = read_manifest(manifest)
    assert read.aliases == {"AB": "Beta Body"}
    assert read.problems == ["manifest.csv:2: aliases 'ABC' name no source (the row's source is empty): not used",
                             "manifest.csv:4: alias 'AB' was given to 'Alpha Body' above; now to 'Beta Body' "
                             "(this line's is used)"]
    assert "aliases" not in read.entries[(tmp_path / "b.md").resolve()]


def test_an_upload_is_named_through_the_index_table_and_a_copy_keeps_it(index: IndexFolder, tmp_path: Path,
                                                                        fake_embedders: dict[str, object]) -> None:
    from index.transfer import copy_index

    keep_aliases(index.store, {"MICT Ruritania": "Ministry of ICT of Ruritania"})
    writer = IndexWriter(index)
    text = b"# Teacher training\n\nThe ministry trains teachers in online safety.\n"
    for name, source in (("a.md", "MICT Ruritania"), ("b.md", "https://www.coderdojo.com/")):  # as an upload sends it
        writer.ingest_file(SourceFile(Path(name), text + name.encode(), {"source": source}, name))
    assert sorted(_sources(index).values()) == ["Ministry of ICT of Ruritania", "Raspberry Pi Foundation"]

    copy_index(index, tmp_path / "copy", embedders=fake_embedders)  # type: ignore[arg-type]
    copy = IndexFolder.open(tmp_path / "copy", embedders=fake_embedders)
    try:
        assert stored_aliases(copy.store) == {"MICT Ruritania": "Ministry of ICT of Ruritania"}
    finally:
        copy.close()


def test_a_jsonl_manifest_gives_aliases_as_a_list(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"path": "a.md", "source": "Alpha Body", "aliases": ["AB", "alpha.example.org"]}\n',
                        encoding="utf-8")
    assert read_manifest(manifest).aliases == {"AB": "Alpha Body", "alpha.example.org": "Alpha Body"}
