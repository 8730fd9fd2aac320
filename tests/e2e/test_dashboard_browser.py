"""The dashboard in a real browser: headless Chromium (the system's, driven by Playwright) opens the Mini App the way
Telegram does (signed initData and theme in the URL hash), and the numbers on screen are checked against the
status service; then the language is switched, a child's chart opened, the notes saved and the XLSX downloaded.
Screenshots at 360 px and 1280 px are kept in test-artifacts/dashboard/ (gitignored).

One browser session for the whole module (one test): starting Chromium is most of its cost.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from bot.services import status as status_svc
from bot.services.recap import Totals
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.dashboard_support import DASHBOARD_URL, Dashboard
from tests.e2e.harness import BotHarness, today_wib
from tests.e2e.test_coordinator_seed import ADMIN, COORD_A, World, add_child, seed_world

CHROMIUM_PATH = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
THEME = {"bg_color": "#fdf6e3", "text_color": "#222222", "hint_color": "#7a7a7a", "link_color": "#1565c0",
         "button_color": "#1565c0", "button_text_color": "#ffffff", "secondary_bg_color": "#eee8d5"}
SCRIPT_NAME = '<img src=x onerror="document.title=1">Budi'

playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM_PATH).exists(),
    reason="no Chromium on this machine (.ci/run installs the Debian package `chromium` where apt-get can)")


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "bot.db", admin_ids=[ADMIN], dashboard_url=DASHBOARD_URL)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def _pct(value: float | None, lang: str) -> str:
    text = "—" if value is None else f"{value:.1f}%"
    return text.replace(".", ",") if lang == "id" else text


async def _expected(bot: BotHarness, pids: list[int], world: World) -> tuple[Totals, dict[int, Totals]]:
    counts = await status_svc.month_counts(bot.runtime.repos, pids, world.today)
    total, per = Totals(), {}
    for pid, c in counts.items():
        total.add(c)
        per[pid] = Totals()
        per[pid].add(c)
    return total, per


async def test_dashboard_in_chromium_numbers_language_chart_notes_and_xlsx(
        bot: BotHarness, api: FakeBotAPI) -> None:
    world = await seed_world(bot.runtime.repos, api, today_wib())
    await add_child(world, SCRIPT_NAME, world.p_a1, months_old=14)
    dash = await Dashboard(bot).start()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    total, per = await _expected(bot, [world.p_a1, world.p_a2], world)
    url = (dash.base + "#tgWebAppData=" + quote(dash.init_data(COORD_A), safe="") + "&tgWebAppVersion=7.0"
           "&tgWebAppPlatform=tdesktop&tgWebAppThemeParams=" + quote(json.dumps(THEME), safe=""))
    try:
        async with playwright_api.async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM_PATH,
                headless=True, args=LAUNCH_ARGS, viewport={"width": 360, "height": 740}, accept_downloads=True,
                locale="id-ID")
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(url)
            await page.wait_for_selector("body[data-ready=overview]", timeout=15000)

            # The numbers on screen are the status service's counts (the same as /rekap).
            async def stat(key: str) -> str:
                return (await page.text_content(f"#overview [data-stat={key}] .value") or "").strip()

            assert await stat("s") == str(total.s) == "7"  # six seeded, one with HTML in its name
            assert await stat("d") == str(total.d) == "4"
            assert await stat("stunting") == _pct(total.stunting, "id") == "50,0%"
            assert await stat("wasting") == _pct(total.wasting, "id")
            for pid, t in per.items():
                cells = await page.locator(f"#pos tr[data-id='{pid}'] td").all_text_contents()
                assert cells[2:5] == [str(t.s), str(t.d), _pct(t.d_s, "id")], cells
            # Telegram's theme colours became the page's.
            bg = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert bg == "rgb(253, 246, 227)"
            assert await page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
            await page.screenshot(path=str(ARTIFACTS / "overview-360.png"), full_page=True)

            # A name with HTML in it is shown as text, never run.
            await page.locator(f"#pos tr[data-id='{world.p_a1}']").click()
            await page.wait_for_selector("body[data-ready=posyandu]")
            assert SCRIPT_NAME in (await page.text_content("#missing") or "")
            assert await page.locator("#posyandu table img").count() == 0
            assert await page.title() != "1"
            # A child's growth chart (the bot's PNG).
            await page.locator("#follow tbody tr").first.click()
            chart = page.locator("#chart-view img.growth")
            await chart.wait_for(timeout=15000)
            assert await chart.evaluate("img => img.complete && img.naturalWidth") > 300
            await page.screenshot(path=str(ARTIFACTS / "posyandu-360.png"), full_page=True)

            # Switch to English: the page's words and number formats change.
            await page.click("#lang")
            # (Selectors, not wait_for_function: the page's Content-Security-Policy forbids eval, as it should.)
            await page.wait_for_selector("#t-overview:text-is('Overview')")
            await page.click("#t-overview")
            await page.wait_for_selector("body[data-ready=overview]")
            await page.wait_for_selector("#overview [data-stat=s] .label:text-is('Under-fives (S)')")
            assert await stat("stunting") == _pct(total.stunting, "en") == "50.0%"

            # The annual review: notes saved, XLSX downloaded (only this area), screenshots at 1280 px.
            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.screenshot(path=str(ARTIFACTS / "overview-1280.png"), full_page=True)
            await page.click("#t-review")
            await page.wait_for_selector("body[data-ready=review]")
            await page.fill("textarea[name=obstacles]", "Timbangan rusak")
            await page.click("#save-notes")
            await page.wait_for_selector("#notes-status:text-is('Saved.')")
            notes = await bot.runtime.db.fetchval("SELECT obstacles FROM review_notes WHERE area_id = ?",
                                                  (world.kel_a,))
            assert notes == "Timbangan rusak"
            async with page.expect_download() as info:
                await page.click("#dl-xlsx")
            download = await info.value
            target = ARTIFACTS / download.suggested_filename
            await download.save_as(str(target))
            book = load_workbook(io.BytesIO(target.read_bytes()))
            cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                             if c.value is not None)
            assert "Posyandu Melati 1" in cells and "Timbangan rusak" in cells and "Anggrek" not in cells
            await page.screenshot(path=str(ARTIFACTS / "review-1280.png"), full_page=True)
            await page.set_viewport_size({"width": 360, "height": 740})
            await page.screenshot(path=str(ARTIFACTS / "review-360.png"), full_page=True)
            assert errors == []
            await context.close()
    finally:
        await dash.stop()
        shutil.rmtree(profile, ignore_errors=True)
