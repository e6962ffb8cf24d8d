"""The web page in Debian's chromium (Playwright): a delegate's path through it, and document text
that tries to run script. Screenshots go to the test's output folder (pytest-playwright's
`output_path`; choose it with `--output DIR`)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import AUTH, CURATOR_KEY, curator_at_a_card, live_server

HOSTILE = (b"Hostile contribution about helplines.\n\n"
           b"<script>window.__xss = 1</script> and <img src=x onerror=\"window.__xss = 2\"> "
           b"in the helpline text, with </p><b>bold</b> markup.\n")
HOSTILE_TITLE = '<img src=x onerror="window.__xss = 3">Hostile title'


def shoot(page: Page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=False)


@pytest.mark.slow
def test_delegate_searches_filters_finds_similar_and_opens_a_document(page: Page, real_sample_index,
                                                                      output_path: str) -> None:
    shots = Path(output_path)
    app = create_app(Settings(index=real_sample_index.path), real_sample_index)
    with live_server(app) as base:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(base + "/")
        expect(page.locator("#status")).to_contain_text("documents in the index")

        # type a query (keyboard only) and see cited results
        page.locator("#q").focus()
        page.keyboard.type("training teachers to keep children safe online")
        page.keyboard.press("Enter")
        cards = page.locator("#results .card")
        expect(cards.first).to_be_visible()
        expect(page.locator("#status")).to_contain_text("passages for")
        first = cards.first
        expect(first.locator(".card-title")).not_to_be_empty()
        expect(first.locator(".cite")).to_contain_text("CWG-COP-20")
        assert page.locator("#results mark").count() > 0  # query terms highlighted
        assert page.evaluate("document.activeElement.id") == "results-heading"  # focus follows the results
        shoot(page, shots, "1-results.png")

        # apply a facet (a country) as a filter
        country = page.locator("fieldset.facet", has=page.locator("legend", has_text="Country"))
        label = country.locator("label").first
        chosen = label.inner_text().rsplit(" (", 1)[0]
        label.click()
        expect(page.locator("#active-filters .chip")).to_contain_text(chosen)
        expect(page.locator("#status")).to_contain_text("passages for")
        cites = page.locator("#results .card .cite").all_inner_texts()
        assert cites and all(chosen in c for c in cites), (chosen, cites)
        assert f"country={chosen.replace(' ', '+')}" in page.url
        shoot(page, shots, "2-filtered.png")
        page.locator("#active-filters .chip").first.click()  # remove the filter again
        expect(page.locator("#active-filters .chip")).to_have_count(0)

        # open similar initiatives of the first result
        page.locator("#results .card").first.get_by_role("button", name="Similar initiatives").click()
        expect(page.locator("#similar-section")).to_be_visible()
        similar = page.locator("#similar .card")
        expect(similar.first).to_be_visible()
        assert similar.count() >= 3
        assert page.locator("#similar mark").count() > 0  # the words each pair shares are highlighted
        expect(page.locator("#similar-status")).to_contain_text("initiatives from other sources")
        shoot(page, shots, "3-similar.png")

        # open a document at the matching passage, then go back with the keyboard
        title = similar.first.locator(".card-title").inner_text()
        similar.first.get_by_role("button", name="Read in document").click()
        expect(page.locator("#document-heading")).to_have_text(title)
        expect(page.locator("#document-passages .passage.current")).to_have_count(1)
        expect(page.locator("#document-meta")).to_contain_text("Source")
        shoot(page, shots, "4-document.png")
        page.keyboard.press("Escape")
        expect(page.locator("#similar-section")).to_be_visible()

        # a PDF passage links to the original file at its page
        page.locator("#q").fill("legal framework reforms in Kenya and Albania")
        page.locator("#q").press("Enter")
        link = page.locator("#results .card a", has_text="Open at page").first
        expect(link).to_have_attribute("href", re.compile(r"/documents/.+/file#page=\d+$"))
        href = link.get_attribute("href") or ""
        pdf = httpx.get(base + href.split("#")[0])
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"

        # readable on a phone: no horizontal scrolling
        page.set_viewport_size({"width": 375, "height": 812})
        page.goto(base + "/?q=helpline+for+children")
        expect(page.locator("#results .card").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shoot(page, shots, "5-phone.png")
    print(f"screenshots in {shots}")


def test_document_text_is_shown_as_text_never_run(page: Page, settings: Settings, seeded_index,
                                                  output_path: str) -> None:
    with live_server(create_app(settings, seeded_index)) as base:
        r = httpx.post(base + "/documents", headers=AUTH, data={"title": HOSTILE_TITLE, "country": "Kenya", "meeting": "CWG-COP-21"},
                       files=[("files", ("hostile.txt", HOSTILE, "text/plain"))])
        assert r.status_code == 201, r.text
        page.goto(base + "/?q=hostile+helpline+script")
        card = page.locator("#results .card", has_text="Hostile title").first
        expect(card).to_be_visible()
        expect(card.locator(".card-title")).to_have_text(HOSTILE_TITLE)
        expect(card.locator(".snippet")).to_contain_text("<script>window.__xss = 1</script>")
        expect(card.locator(".snippet")).to_contain_text('<img src=x onerror="window.__xss = 2">')
        card.get_by_role("button", name="Read in document").click()
        expect(page.locator("#document-passages")).to_contain_text("<b>bold</b>")
        expect(page.locator("#document-heading")).to_have_text(HOSTILE_TITLE)
        shoot(page, Path(output_path), "escaped.png")
        assert page.evaluate("window.__xss") is None
        # (the page's own chart image, empty until "Themes over time" is clicked, aside)
        assert page.locator("main img:not(#trends-chart), main script, main b").count() == 0
        assert page.locator("#trends-chart").get_attribute("src") is None


def test_a_curator_marks_best_practice_and_readers_see_the_card(page: Page, seeded_index, tmp_path: Path,
                                                                output_path: str) -> None:
    curator_key = CURATOR_KEY
    with curator_at_a_card(page, seeded_index, tmp_path) as (card, base):
        expect(card.locator("#quality-heading")).to_contain_text("Quality")
        assert card.locator(".signal").count() == 10  # every signal: its evidence, or the hint of what to add
        expect(card.locator(".signal.missing").first).to_contain_text("✗")
        expect(card.locator("#curation-line")).to_have_text("Not curated.")

        # an upload key may not curate: the page says why and nothing changes
        page.locator("#curate-status").select_option("best_practice")
        page.locator("#curate-reason").fill("<b>Model</b> helpline with referral paths")
        page.locator("#curate-key").fill("upload-key-0123456789")
        page.locator("#curate-form").get_by_role("button", name="Save").click()
        expect(page.locator("#curate-status-line")).to_contain_text("may upload but not curate")
        expect(card.locator("#curation-line")).to_have_text("Not curated.")

        page.locator("#curate-key").fill(curator_key)
        page.locator("#curate-form").get_by_role("button", name="Save").click()
        expect(card.locator("#curation-line .badge")).to_have_text("Best practice")
        expect(card.locator("#curation-line")).to_contain_text("<b>Model</b> helpline with referral paths")
        assert page.locator("main b").count() == 0  # the reason is text, never markup
        shoot(page, Path(output_path), "curated-card.png")

        # the reading list puts it first, with its badge and reason
        page.locator("#document-close").click()
        page.locator("#reading-list").click()
        first = page.locator("#results .card").first
        expect(first.locator(".card-title")).to_contain_text("A national helpline")
        expect(first.locator(".badge")).to_have_text("Best practice")
        expect(first.locator(".reason")).to_contain_text("referral paths")
        expect(page.locator("#status")).to_contain_text("best practice first")
        history = httpx.get(base + "/documents/philippines-helpline/curation").json()
        assert [e["status"] for e in history["history"]] == ["best_practice"]


def test_follow_this_search_and_open_a_linked_document(page: Page, settings: Settings, seeded_index) -> None:
    with live_server(create_app(settings, seeded_index)) as base:
        page.goto(base + "/?q=helpline&country=Philippines")
        expect(page.locator("#results .card").first).to_be_visible()
        href = page.locator("#follow").get_attribute("href") or ""
        assert href.startswith("/feeds/documents.atom?") and "q=helpline" in href and "country=Philippines" in href
        feed = httpx.get(base + href)
        assert feed.status_code == 200 and b"A national helpline" in feed.content
        page.goto(base + "/?document=philippines-helpline")  # the link of a feed entry
        expect(page.locator("#document-heading")).to_have_text("A national helpline")


def test_themes_over_time_on_the_page(page: Page, settings: Settings, seeded_index) -> None:
    with live_server(create_app(settings, seeded_index)) as base:
        page.goto(base + "/?country=Malawi")
        expect(page.locator("#status")).to_contain_text("match these filters")
        page.locator("#trends-button").click()
        expect(page.locator("#trends-caption")).to_contain_text("for the current filters")
        page.wait_for_function("() => { const img = document.getElementById('trends-chart'); "
                               "return img.complete && img.naturalWidth > 0; }", timeout=10_000)


@pytest.mark.slow
def test_a_contribution_in_two_languages_is_shown_once_and_switched(page: Page, real_sample_index) -> None:
    """UNICEF's guidance is in English and Spanish: an English question shows the English version once, offers
    "español", and the document view switches to the Spanish version."""
    app = create_app(Settings(index=real_sample_index.path), real_sample_index)
    with live_server(app) as base:
        page.goto(base + "/?q=" + "Which laws protect children from online sexual exploitation?".replace(" ", "+"))
        cards = page.locator("#results .card")
        expect(cards.first).to_be_visible()
        titles = cards.locator(".card-title").all_inner_texts()
        assert not any(t.startswith("Fortalecer") for t in titles), titles
        unicef = cards.filter(has_text="Strengthening Legislation").first
        offer = unicef.locator(".versions button")
        expect(offer).to_have_count(1)
        expect(offer).to_have_attribute("lang", "es")
        offer.click()
        expect(page.locator("#document-heading")).to_contain_text("Fortalecer la legislación")
        expect(page.locator("#document-meta")).to_contain_text("Other languages")
        page.locator("#document-meta button[lang=en]").click()
        expect(page.locator("#document-heading")).to_contain_text("Strengthening Legislation")
