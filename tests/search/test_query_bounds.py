"""The bounds of the search layer (issue 20): a query is read up to its first `query_chars` characters, by
the encoders and by the lexical side alike; a synthesis stops at whichever checkpoint raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.folder import IndexFolder
from index.writer import IndexWriter
from ingest.errors import QueryError
from search.retrieval.engine import SearchEngine, cut_query, query_is_cut, validate_query
from search.synthesis.pipeline import Synthesizer


def test_cut_query_keeps_a_short_query_and_cuts_a_long_one_between_words() -> None:
    assert cut_query("age assurance", 100) == "age assurance"
    assert cut_query("helpline " * 20, 100) == ("helpline " * 11).strip()  # 99 characters, no half word
    assert cut_query("a" * 150, 100) == "a" * 100  # one long run: cut where the limit falls
    assert cut_query("word " * 30, 100) == ("word " * 20).strip()  # the limit falls on a space: nothing lost
    assert validate_query("  teachers " + "x " * 600, 1000) == ("teachers " + "x " * 496).strip()  # 1,000
    assert query_is_cut("q " * 600, 1000) and not query_is_cut("q " * 400, 1000)
    with pytest.raises(QueryError):
        validate_query("   ", 1000)


def test_words_past_the_cut_are_not_searched(fake_index: IndexFolder, tmp_path: Path) -> None:
    (tmp_path / "fiji.md").write_text("Fiji runs a national helpline where children report cyberbullying.")
    (tmp_path / "kenya.md").write_text("Kenya trains teachers to keep pupils safe online at school.")
    IndexWriter(fake_index).ingest([tmp_path / "fiji.md", tmp_path / "kenya.md"], {})
    fake_index.refresh_vectors()
    query = "zzzz " * 300 + "cyberbullying"  # 1,513 characters; its only word in the index comes last
    short = SearchEngine(fake_index, query_chars=1000).search(query, mode="lexical")
    whole = SearchEngine(fake_index, query_chars=2000).search(query, mode="lexical")
    assert short == [] and [h.document_id for h in whole] == ["fiji"]


@pytest.mark.slow
def test_a_synthesis_stops_at_any_of_its_checkpoints(tagged_sample_index) -> None:
    from search.characterization.taxonomy import load_taxonomy

    class Stop(Exception):
        pass

    calls = 0

    def count() -> None:
        nonlocal calls
        calls += 1

    taxonomy = load_taxonomy()
    done = Synthesizer(tagged_sample_index, taxonomy, checkpoint=count).synthesize("national helplines")
    assert done.subthemes and calls >= 6  # between searches, sentence batches, clusterings and the gaps
    for stop_at in (1, calls // 2, calls):
        seen = 0

        def stop(at: int = stop_at) -> None:
            nonlocal seen
            seen += 1
            if seen == at:
                raise Stop

        with pytest.raises(Stop):
            Synthesizer(tagged_sample_index, taxonomy, checkpoint=stop).synthesize("national helplines")
        assert seen == stop_at  # nothing ran past the checkpoint that stopped it
