"""The card lists a document's initiative records, and each finds the initiatives like it (issue 24), in Debian's
chromium with the bundled model: Kenya's tipline record finds Canada's tipline, and says why."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import live_server
from tests.search.test_similar_initiatives import tagged_index


def test_an_initiative_on_the_card_finds_its_likes(page: Page, tmp_path: Path) -> None:
    folder = tagged_index(tmp_path)
    with live_server(create_app(Settings(index=tmp_path / "ix"), folder)) as base:
        page.goto(f"{base}/?document=kenya")
        record = page.locator("#document-card ul.initiatives li").first
        expect(record).to_contain_text("helpline_reporting")
        record.get_by_role("button", name="Similar initiatives").click()
        expect(page.locator("#similar-section")).to_be_visible()
        first = page.locator("#similar .card").first
        expect(first).to_contain_text("Canada")
        expect(first).to_contain_text("Why: helpline_reporting")
        sources = page.locator("#similar .card .cite").all_inner_texts()
        assert sources and not any("Kenya" in s for s in sources)  # other sources only
    folder.close()
