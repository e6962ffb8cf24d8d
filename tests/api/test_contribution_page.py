"""The page shows a contribution's one status and one quality profile on each of its language versions, and
says which version each was set or read on (issue 27), in Debian's chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import live_server
from tests.search.test_contribution_curation import build


def test_every_version_shows_the_contributions_status_and_profile(page: Page, fake_index, tmp_path: Path) -> None:
    folder = build(fake_index, tmp_path / "docs")
    folder.store.curate("helpline-fr", "best_practice", "Reports calls, referrals and an evaluation", "secretariat")
    english = folder.store.document("helpline-en").quality
    with live_server(create_app(Settings(index=tmp_path / "ix"), folder)) as base:
        for doc in ("helpline-es", "helpline-en"):
            page.goto(f"{base}/?document={doc}")
            card = page.locator("#document-card")
            expect(card.locator("#curation-line .badge")).to_have_text("Best practice")
            expect(card.locator("#curation-line")).to_contain_text("set on the français version")
            expect(card.locator("#quality-heading")).to_have_text(f"Quality {english:.2f} (high)")
        expect(card.locator("#quality-from")).to_have_count(0)  # the English version's own profile: nothing to say
        page.goto(f"{base}/?document=helpline-es")
        expect(page.locator("#quality-from")).to_contain_text("Read on the English version")
