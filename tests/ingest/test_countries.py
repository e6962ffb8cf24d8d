"""Tests for ingest.countries: the ITU member-state table, lookups, text and filename matching."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from ingest.countries import (
    REGIONS,
    Country,
    all_countries,
    countries_in_region,
    find_countries,
    find_countries_in_filename,
    lookup_country,
    region_of,
)


def names(countries: list[Country]) -> list[str]:
    return [c.name for c in countries]


# --- table ---------------------------------------------------------------------------


def test_regions_are_the_six_itu_regions_in_order() -> None:
    assert REGIONS == ("Africa", "Americas", "Arab States", "Asia-Pacific", "CIS", "Europe")


def test_table_size_and_region_counts() -> None:
    countries = all_countries()
    assert len(countries) >= 193
    assert len(countries) == 195  # 193 UN members + Holy See + Palestine
    counts = Counter(c.region for c in countries)
    assert set(counts) == set(REGIONS)
    assert counts == {
        "Africa": 44,
        "Americas": 35,
        "Arab States": 22,
        "Asia-Pacific": 39,
        "CIS": 11,
        "Europe": 44,
    }


def test_names_and_iso2_codes_are_unique_and_well_formed() -> None:
    countries = all_countries()
    assert len({c.name for c in countries}) == len(countries)
    assert len({c.iso2 for c in countries}) == len(countries)
    assert all(len(c.iso2) == 2 and c.iso2.isascii() and c.iso2.isupper() for c in countries)


def test_arab_states_are_the_arab_league() -> None:
    arab = {c.name for c in countries_in_region("Arab States")}
    assert arab == {
        "Algeria", "Bahrain", "Comoros", "Djibouti", "Egypt", "Iraq", "Jordan", "Kuwait", "Lebanon",
        "Libya", "Mauritania", "Morocco", "Oman", "Palestine", "Qatar", "Saudi Arabia", "Somalia",
        "Sudan", "Syrian Arab Republic", "Tunisia", "United Arab Emirates", "Yemen",
    }  # fmt: skip


def test_cis_region() -> None:
    cis = {c.name for c in countries_in_region("CIS")}
    assert cis == {
        "Armenia", "Azerbaijan", "Belarus", "Kazakhstan", "Kyrgyzstan", "Moldova",
        "Russian Federation", "Tajikistan", "Turkmenistan", "Ukraine", "Uzbekistan",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("Türkiye", "Europe"),
        ("Israel", "Europe"),
        ("Georgia", "Europe"),
        ("Cyprus", "Europe"),
        ("Holy See", "Europe"),
        ("Iran", "Asia-Pacific"),
        ("Afghanistan", "Asia-Pacific"),
        ("Pakistan", "Asia-Pacific"),
        ("Tuvalu", "Asia-Pacific"),
        ("Nigeria", "Africa"),
        ("South Sudan", "Africa"),
        ("Jamaica", "Americas"),
        ("Canada", "Americas"),
        ("Palestine", "Arab States"),
        ("Somalia", "Arab States"),
        ("Russian Federation", "CIS"),
    ],
)
def test_region_assignment(name: str, region: str) -> None:
    assert region_of(name) == region


def test_countries_in_region_rejects_unknown_region() -> None:
    with pytest.raises(ValueError):
        countries_in_region("Oceania")


def test_country_is_frozen() -> None:
    egypt = lookup_country("Egypt")
    assert egypt == Country(name="Egypt", region="Arab States", iso2="EG")
    with pytest.raises(dataclasses.FrozenInstanceError):
        egypt.name = "Misr"  # type: ignore[misc]


# --- lookup_country ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("Philippines", "Philippines"),
        ("Republic of the Philippines", "Philippines"),
        ("the Philippines", "Philippines"),
        ("  The Philippines  ", "Philippines"),
        ("Kingdom of Bahrain", "Bahrain"),
        ("Arab Republic of Egypt", "Egypt"),
        ("Egypt (Arab Republic of)", "Egypt"),
        ("Égypte", "Egypt"),
        ("United States of America", "United States"),
        ("USA", "United States"),
        ("U.S.", "United States"),
        ("UK", "United Kingdom"),
        ("Great Britain", "United Kingdom"),
        ("UAE", "United Arab Emirates"),
        ("Russia", "Russian Federation"),
        ("Turkey", "Türkiye"),
        ("Turkiye", "Türkiye"),
        ("Ivory Coast", "Côte d'Ivoire"),
        ("Cote d'Ivoire", "Côte d'Ivoire"),
        ("côte d\u2019ivoire", "Côte d'Ivoire"),
        ("South Korea", "Republic of Korea"),
        ("Korea, Republic of", "Republic of Korea"),
        ("North Korea", "Democratic People's Republic of Korea"),
        ("Vietnam", "Viet Nam"),
        ("Czechia", "Czech Republic"),
        ("Czech Republic", "Czech Republic"),
        ("Kyrgyz Republic", "Kyrgyzstan"),
        ("Syria", "Syrian Arab Republic"),
        ("Islamic Republic of Iran", "Iran"),
        ("Vatican", "Holy See"),
        ("State of Palestine", "Palestine"),
        ("Timor Leste", "Timor-Leste"),
        ("The former Yugoslav Republic of Macedonia", "North Macedonia"),
        ("Maroc", "Morocco"),
        ("Brésil", "Brazil"),
        ("Brasil", "Brazil"),
        ("Chili", "Chile"),
        ("México", "Mexico"),
        ("Colombie", "Colombia"),
        ("Espagne", "Spain"),
        ("España", "Spain"),
        ("Francia", "France"),
        ("Inde", "India"),
        ("Japon", "Japan"),
        ("Japón", "Japan"),
        ("PHILIPPINES", "Philippines"),
    ],
)
def test_lookup_aliases(alias: str, canonical: str) -> None:
    country = lookup_country(alias)
    assert country is not None, alias
    assert country.name == canonical


def test_lookup_iso2_only_when_uppercase() -> None:
    assert lookup_country("PH") == lookup_country("Philippines")
    assert lookup_country("NG").name == "Nigeria"  # type: ignore[union-attr]
    assert lookup_country("NE").name == "Niger"  # type: ignore[union-attr]
    assert lookup_country("GB").name == "United Kingdom"  # type: ignore[union-attr]
    assert lookup_country("ph") is None
    assert lookup_country("Ph") is None


def test_lookup_unknown() -> None:
    assert lookup_country("Narnia") is None
    assert lookup_country("") is None
    assert lookup_country("Europe") is None
    assert lookup_country("Philippine") is None  # no demonyms/adjectives
    assert region_of("Atlantis") is None


def test_every_canonical_name_and_iso2_round_trips() -> None:
    for country in all_countries():
        assert lookup_country(country.name) == country
        assert lookup_country(country.name.upper()) == country
        assert lookup_country(country.iso2) == country


# --- find_countries (free text) ------------------------------------------------------


def test_find_countries_official_long_names_in_order() -> None:
    text = "Contribution by the Republic of the Philippines and the Kingdom of Bahrain"
    assert names(find_countries(text)) == ["Philippines", "Bahrain"]


def test_find_countries_parenthesised_long_name() -> None:
    assert names(find_countries("Egypt (Arab Republic of)")) == ["Egypt"]
    assert names(find_countries("Contribution from Egypt (Arab Republic of) and Egypt")) == ["Egypt"]


def test_find_countries_niger_vs_nigeria() -> None:
    assert names(find_countries("Projects in Nigeria and Niger; Nigeria again.")) == ["Nigeria", "Niger"]
    assert names(find_countries("Federal Republic of Nigeria")) == ["Nigeria"]
    assert names(find_countries("Republic of the Niger")) == ["Niger"]


def test_find_countries_longest_match_wins() -> None:
    text = "South Sudan, Sudan, Papua New Guinea, Guinea-Bissau, Equatorial Guinea, Dominican Republic"
    assert names(find_countries(text)) == [
        "South Sudan",
        "Sudan",
        "Papua New Guinea",
        "Guinea-Bissau",
        "Equatorial Guinea",
        "Dominican Republic",
    ]
    assert names(find_countries("Democratic Republic of the Congo")) == ["Democratic Republic of the Congo"]
    assert names(find_countries("Democratic People's Republic of Korea")) == [
        "Democratic People's Republic of Korea"
    ]


def test_find_countries_no_match_in_lowercase_organisation_name() -> None:
    assert find_countries("the united nations children's fund") == []
    assert find_countries("The United Nations Children's Fund (UNICEF)") == []


def test_find_countries_requires_capitalised_names() -> None:
    assert find_countries("a chad of paper; turkey for dinner; a jordan almond") == []
    assert names(find_countries("Chad and Jordan")) == ["Chad", "Jordan"]
    assert names(find_countries("REPORT FROM KENYA")) == ["Kenya"]


def test_find_countries_short_acronyms_must_be_uppercase() -> None:
    assert names(find_countries("The US and the UK signed; so did the UAE.")) == [
        "United States",
        "United Kingdom",
        "United Arab Emirates",
    ]
    assert find_countries("let us know; Us too; uk") == []
    assert names(find_countries("U.S. policy")) == ["United States"]


def test_find_countries_accents_and_apostrophes() -> None:
    assert names(find_countries("Côte d\u2019Ivoire, Cote d'Ivoire and Ivory Coast")) == ["Côte d'Ivoire"]
    assert names(find_countries("Türkiye (formerly Turkey)")) == ["Türkiye"]
    assert names(find_countries("Brésil, Maroc et Égypte")) == ["Brazil", "Morocco", "Egypt"]


def test_find_countries_whole_words_only() -> None:
    assert find_countries("Indiana, Romanian, Omani, Malian, Chadian") == []
    assert names(find_countries("India's strategy")) == ["India"]


def test_find_countries_multiword_across_line_breaks() -> None:
    assert names(find_countries("Republic of the\nPhilippines")) == ["Philippines"]


def test_find_countries_stop_phrases() -> None:
    assert find_countries("American Samoa and New Mexico") == []
    assert names(find_countries("Samoa and Mexico")) == ["Samoa", "Mexico"]


def test_find_countries_empty() -> None:
    assert find_countries("") == []


# --- find_countries_in_filename ------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("brasil2021ebia_estrategia-brasileira-ia.pdf", ["Brazil"]),
        ("canada2017ai_pan-canadian", ["Canada"]),
        ("supreme_court_india_smw", ["India"]),
        ("chile2021ia", ["Chile"]),
        ("eu2024aiact", []),
        ("unicef_policy-guidance-ai-children.pdf", []),
        ("unicef_2021_report", []),
        ("SouthAfrica2019_national_policy.pdf", ["South Africa"]),
        ("south-africa-2019.pdf", ["South Africa"]),
        ("united_states_of_america_eo14110.pdf", ["United States"]),
        ("papua_new_guinea_ict_policy.docx", ["Papua New Guinea"]),
        ("cote_d_ivoire.pdf", ["Côte d'Ivoire"]),
        ("niger_nigeria_joint.pdf", ["Niger", "Nigeria"]),
        ("uk-ai-whitepaper_2023.pdf", ["United Kingdom"]),
        ("US_blueprint_ai_bill_of_rights.pdf", ["United States"]),
        ("contact_us.html", []),
        ("Korea_Republic_of_contribution.docx", ["Republic of Korea"]),
        ("new_mexico_state_plan.pdf", []),
        ("chart.png", []),
        ("/data/raw/kenya/kenya_2020.pdf", ["Kenya"]),
    ],
)
def test_find_countries_in_filename(filename: str, expected: list[str]) -> None:
    assert names(find_countries_in_filename(filename)) == expected
