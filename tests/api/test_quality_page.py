"""A curator corrects a quality signal on the contribution card, in Debian's chromium (issue 23): the page sends
the same write as `cwg quality`, says why a quote is refused, and shows the curator's word beside the signal."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.api.conftest import CURATOR_KEY, curator_at_a_card


def test_a_curator_quotes_the_sentence_that_shows_a_signal(page: Page, seeded_index, tmp_path: Path) -> None:
    curator_key = CURATOR_KEY
    with curator_at_a_card(page, seeded_index, tmp_path) as (card, base):
        lessons = card.locator('.signal[data-signal="lessons"]')
        expect(lessons).to_contain_text("✗")
        page.locator("#curate-key").fill(curator_key)
        page.locator("#signal-id").select_option("lessons")
        page.locator("#signal-verdict").select_option("confirmed")
        page.locator("#signal-quote").fill("We trained 5,000 teachers.")  # not in its text: refused, said why
        page.locator("#signal-reason").fill("referring cases is what they learnt")
        page.locator("#signal-form").get_by_role("button", name="Correct").click()
        expect(page.locator("#signal-status-line")).to_contain_text("not in document")
        page.locator("#signal-quote").fill("teachers and parents are trained to refer cases")
        page.locator("#signal-form").get_by_role("button", name="Correct").click()
        expect(lessons).to_contain_text("✓")
        expect(lessons).to_contain_text("teachers and parents are trained to refer cases")
        expect(lessons.locator(".curator-word")).to_contain_text("curator: confirmed")
        history = httpx.get(base + "/documents/philippines-helpline/quality").json()["corrections"]
        assert [(e["signal"], e["verdict"], e["by"]) for e in history] == [("lessons", "confirmed", "curator (web page)")]
