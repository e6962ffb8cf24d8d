"""The alias table (ingest/source_aliases.py over ingest/organisations.yaml): every name, acronym and web domain
of an organisation resolves to its one canonical source, by exact match after folding, never by likeness."""

from __future__ import annotations

import pytest

from ingest.organisations import organisations
from ingest.source_aliases import SourceAliases, alias_key, web_domain
from ingest.textclean import fold


@pytest.mark.parametrize(("given", "canonical"), [
    ("Raspberry Pi Foundation", "Raspberry Pi Foundation"),
    ("raspberrypi.org", "Raspberry Pi Foundation"),  # a bare domain
    ("https://www.raspberrypi.org/safeguarding/", "Raspberry Pi Foundation"),  # a web address
    ("The Raspberry Pi Foundation", "Raspberry Pi Foundation"),  # a leading "The"
    ("RASPBERRY PI FOUNDATION", "Raspberry Pi Foundation"),  # case
    ("Raspberry_Pi_Foundation", "Raspberry Pi Foundation"),  # punctuation
    ("UNICEF", "UNICEF"),
    ("United Nations Children's Fund", "UNICEF"),
    ("United Nations Children’s Fund", "UNICEF"),  # a typographic apostrophe
    ("UNITED NATIONS CHILDREN'S FUND", "UNICEF"),
    ("unicef.org", "UNICEF"),
    ("data.unicef.org", "UNICEF"),  # a sub-domain of a known domain
    ("ILO", "ILO"),  # an acronym matched only as a whole value
    ("International Labour Organisation", "ILO"),
    ("International Centre for Missing & Exploited Children", "ICMEC"),
    ("International Centre for Missing and Exploited Children", "ICMEC"),  # "&" read as "and"
    ("europol.europa.eu", "Europol"),  # the longer domain the vocabulary lists wins
    ("ec.europa.eu", "European Union"),
    ("USA", "United States"),  # country names resolve through the country table
    ("ＵＮＩＣＥＦ", "UNICEF"),  # full-width letters (NFKC)
])
def test_names_acronyms_and_domains_resolve_to_one_source(given: str, canonical: str) -> None:
    assert SourceAliases.shipped().resolve(given) == canonical


@pytest.mark.parametrize("near_miss", [
    "UNICEF Innocenti", "Save the Children Sweden", "Raspberry Pi Foundations", "ITU Secretariat",
    "Ministry of Education of Malawi", "ECPAT Switzerland",
])
def test_a_near_miss_stays_its_own_source(near_miss: str) -> None:
    assert SourceAliases.shipped().resolve(near_miss) == near_miss


def test_an_unknown_domain_keeps_a_readable_form() -> None:
    table = SourceAliases.shipped()
    assert table.resolve("https://www.example.org/about?x=1") == "example.org"
    assert table.resolve("WWW.Example.ORG") == "example.org"
    assert web_domain("St.Kitts") == "" and web_domain("e.V.") == "" and web_domain("Ltd. Co") == ""
    assert web_domain("mict.gov.rr") == "mict.gov.rr"  # a two-letter top-level domain is a country's


def test_the_alias_key_uses_the_one_folding_rule() -> None:
    assert alias_key("The  Straße & Co.") == alias_key("STRASSE AND CO") == fold("strasse and co")
    assert alias_key("Côte d’Ivoire") == alias_key("CÔTE D'IVOIRE") != alias_key("Cote d'Ivoire")  # accents kept


def test_added_aliases_join_the_table_and_cannot_take_a_known_name() -> None:
    table = SourceAliases.build({"RPF": "raspberrypi.org", "mict.gov.rr": "Ministry of ICT of Ruritania",
                                 "MICT": "mict.gov.rr", "ITU": "ITU Secretariat"})
    assert table.resolve("RPF") == "Raspberry Pi Foundation"  # the canonical name of a known source is kept
    assert table.resolve("MICT") == table.resolve("https://mict.gov.rr/news") == "Ministry of ICT of Ruritania"
    assert table.resolve("ITU") == "ITU" and table.conflicts == [
        "'ITU' is 'ITU' (ingest/organisations.yaml or the country names): not made an alias of 'ITU Secretariat'"]
    assert "RPF" in table.aliases_of("Raspberry Pi Foundation")
    assert SourceAliases.shipped().resolve("RPF") == "RPF"  # the shipped table is not changed by a build


def test_an_alias_chain_ends_at_one_name() -> None:
    table = SourceAliases.build({"B": "Alpha Body", "C": "B"})
    table.add("Alpha Body", "C")  # a cycle back: nothing changes
    assert {table.resolve(n) for n in ("Alpha Body", "B", "C")} == {"Alpha Body"}


def test_the_vocabulary_gives_each_name_and_domain_to_one_organisation() -> None:
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    for org in organisations():
        for name in (org.name, *org.names, *org.also):
            assert names.setdefault(alias_key(name), org.name) == org.name, (name, names[alias_key(name)], org.name)
        for domain in org.domains:
            assert web_domain(domain) == domain, domain
            assert domains.setdefault(domain, org.name) == org.name, domain


def test_every_way_a_source_arrives_is_resolved() -> None:
    from ingest.metadata import build_meta
    from ingest.records import Block, LoadedDocument

    def source(head: str = "", entry: dict[str, str] | None = None, table: SourceAliases | None = None) -> str:
        blocks = [Block("paragraph", line, 1) for line in head.splitlines()] + [
            Block("paragraph", "Children learn to report abuse online through the national helpline.", 1)]
        loaded = LoadedDocument("txt", blocks, head_text=head)
        return build_meta(loaded, "note.txt", "\n".join(b.text for b in blocks), entry, table).source

    assert source(entry={"source": "https://www.unicef.org/"}) == "UNICEF"  # a manifest row or an upload field
    assert source("Council Working Group on Child Online Protection\nSource: www.ecpat.org\n"
                  "Title: Legislation for children online") == "ECPAT International"  # the ITU cover page
    assert source("Contribution from: The United Nations Children’s Fund") == "UNICEF"  # a submitter line
    assert source("Find out more at www.raspberrypi.org") == "Raspberry Pi Foundation"  # the web site it gives
    table = SourceAliases.build({"MICT Ruritania": "Ministry of ICT of Ruritania"})
    assert source(entry={"source": "MICT Ruritania"}, table=table) == "Ministry of ICT of Ruritania"  # the index's
