"""The dashboard's HTTP API end to end: the real application and its web server, requests signed as Telegram signs
a Mini App's initData; numbers checked against the status service, refusals (401/403) and their logs, downloads."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.services import access
from bot.services import status as status_svc
from bot.services.recap import Totals
from bot.sim.fake_api import FakeBotAPI
from storage.models import Role
from tests.e2e.dashboard_support import DASHBOARD_URL, Dashboard
from tests.e2e.harness import BotHarness, buttons, texts, today_wib
from tests.e2e.test_coordinator_seed import (
    ADMIN,
    CADRE_A1,
    COORD_A,
    COORD_CITY,
    STRANGER,
    World,
    add_child,
    add_user,
    month_start,
    seed_world,
    weigh,
)

HEALTH_WORKER = 3500


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    harness = BotHarness(api, tmp_path / "bot.db", admin_ids=[ADMIN], dashboard_url=DASHBOARD_URL)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def world(bot: BotHarness, api: FakeBotAPI) -> World:
    w = await seed_world(bot.runtime.repos, api, today_wib())
    await add_user(bot.runtime.repos, api, HEALTH_WORKER, "Bidan Ani", Role.HEALTH_WORKER, area_id=w.kel_a)
    return w


@pytest.fixture
async def dash(bot: BotHarness, world: World) -> AsyncIterator[Dashboard]:
    d = await Dashboard(bot).start()
    try:
        yield d
    finally:
        await d.stop()


async def _recap_totals(bot: BotHarness, pids: list[int], month: object) -> Totals:
    counts = await status_svc.month_counts(bot.runtime.repos, pids, month)  # type: ignore[arg-type]
    total = Totals()
    for c in counts.values():
        total.add(c)
    return total


async def test_overview_numbers_are_the_recap_counts(bot: BotHarness, dash: Dashboard, world: World) -> None:
    status, data = await dash.get("api/overview", COORD_A)
    assert status == 200
    expected = await _recap_totals(bot, [world.p_a1, world.p_a2], world.today)
    total = data["total"]
    assert (total["s"], total["d"], total["n"], total["stunted"]) == (expected.s, expected.d, expected.n,
                                                                    expected.stunted) == (6, 4, 1, 2)
    assert total["stunting"] == 50.0 and total["d_s"] == round(expected.d_s or 0, 2)
    assert [r["name"] for r in data["posyandu"]] == ["Posyandu Mawar", "Posyandu Melati 1"]
    assert len(data["trend"]) == 12 and data["trend"][-1]["d"] == 4
    last = await _recap_totals(bot, [world.p_a1, world.p_a2], month_start(world.today, 1))
    assert data["trend"][-2]["d"] == last.d == 3
    assert [s["key"] for s in data["sections"]] == ["cases", "programs"]


async def test_city_overview_breaks_down_per_kelurahan(dash: Dashboard, world: World) -> None:
    status, data = await dash.get("api/overview", COORD_CITY)
    assert status == 200
    assert [r["name"] for r in data["kelurahan"]] == ["Kampung Bali", "Pegambiran", "Sukajadi"]
    assert data["total"]["s"] == 12 and len(data["posyandu"]) == 4


async def test_kept_counts_follow_new_data(bot: BotHarness, dash: Dashboard, world: World) -> None:
    """The kept month counts (migration 0100) follow a new weighing and a new registration."""
    await dash.get("api/overview", COORD_A)
    kid = world.children[f"Anak {world.parents[world.p_a2][2]}"]
    await weigh(world, kid, world.today.replace(day=min(world.today.day, 5)), haz=-2.5)
    await add_child(world, "Anak Baru", world.p_a1, months_old=3)
    _, data = await dash.get("api/overview", COORD_A)
    expected = await _recap_totals(bot, [world.p_a1, world.p_a2], world.today)
    assert (data["total"]["s"], data["total"]["d"], data["total"]["stunted"]) == (expected.s, expected.d,
                                                                                  expected.stunted) == (7, 5, 3)


async def test_requests_without_valid_init_data_are_refused_and_logged_without_names(
        dash: Dashboard, world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert (await dash.get("api/overview", None))[0] == 401
    forged = dash.init_data(COORD_A).replace("Test", "Mallory")
    assert (await dash.get("api/overview", None, headers={"Authorization": "tma " + forged}))[0] == 401
    assert (await dash.get("api/overview", COORD_A, age=2 * 86400))[0] == 401  # auth_date older than 24 h
    assert (await dash.get("api/overview", COORD_A, age=-3600))[0] == 401  # from the future
    log = caplog.text
    assert "refused" in log and "expired" in log and "bad_hash" in log
    assert "Mallory" not in log and "Test" not in log and "Dewi" not in log and "hash=" not in log


async def test_areas_posyandu_and_children_outside_the_scope_are_refused(dash: Dashboard, world: World,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outside_child = world.children[f"Anak {world.parents[world.p_b1][0]}"]
    assert (await dash.get(f"api/overview?area={world.kel_b}", COORD_A))[0] == 403
    assert (await dash.get(f"api/overview?area={world.city}", COORD_A))[0] == 403
    assert (await dash.get(f"api/posyandu/{world.p_b1}", COORD_A))[0] == 403
    assert (await dash.get(f"api/child/{outside_child}/chart/wfa", COORD_A))[0] == 403
    assert (await dash.get(f"api/review?area={world.kel_b}", COORD_A))[0] == 403
    assert (await dash.get("api/posyandu/99999999", COORD_A))[0] == 403
    assert "Anak" not in caplog.text
    for outsider in (CADRE_A1, world.parents[world.p_a1][0], STRANGER):
        assert (await dash.get("api/me", outsider))[0] == 403, outsider


async def test_bad_parameters_are_refused_with_400(dash: Dashboard, world: World) -> None:
    for path in ("api/overview?month=2024-13", "api/overview?month=2999-01", "api/overview?area=abc",
                 "api/review?year=1999", f"api/child/{world.children['Anak 2001']}/chart/xyz"):
        assert (await dash.get(path, COORD_A))[0] == 400, path


async def test_health_worker_reads_own_area_but_not_the_notes(dash: Dashboard, world: World) -> None:
    status, me = await dash.get("api/me", HEALTH_WORKER)
    assert status == 200 and me["role"] == "health_worker" and me["home"] == world.kel_a
    assert (await dash.get("api/overview", HEALTH_WORKER))[1]["total"]["s"] == 6
    assert (await dash.get(f"api/overview?area={world.kel_b}", HEALTH_WORKER))[0] == 403
    kid = world.children[f"Anak {world.parents[world.p_a1][0]}"]
    status, png = await dash.get(f"api/child/{kid}/chart/wfa", HEALTH_WORKER)
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    _, review = await dash.get("api/review", HEALTH_WORKER)
    assert review["may_write"] is False
    status, _ = await dash.request("PUT", "api/review/notes", HEALTH_WORKER,
                                   json={"area": world.kel_a, "year": world.today.year, "obstacles": "x"})
    assert status == 403


async def test_posyandu_month_lists_measured_missing_and_follow_up(dash: Dashboard, world: World) -> None:
    status, data = await dash.get(f"api/posyandu/{world.p_a2}", COORD_A)
    assert status == 200
    names = world.parents[world.p_a2]
    assert [c["name"] for c in data["measured"]] == [f"Anak {names[0]}"]
    assert [c["name"] for c in data["remeasure"]] == [f"Anak {names[1]}"]
    assert [c["name"] for c in data["missing"]] == [f"Anak {names[2]}"]
    follow = {c["name"]: c for c in data["follow_up"]}
    assert follow[f"Anak {names[0]}"]["urgent"] is True and "edema" in follow[f"Anak {names[0]}"]["reasons"]
    assert data["may_chart"] is True and data["total"]["s"] == 3


async def test_child_chart_is_the_growth_chart_png(dash: Dashboard, world: World) -> None:
    kid = world.children[f"Anak {world.parents[world.p_a1][0]}"]
    for indicator in ("wfa", "lhfa"):
        status, png = await dash.get(f"api/child/{kid}/chart/{indicator}", COORD_A)
        assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


async def test_review_notes_are_stored_and_audited_without_their_text(bot: BotHarness, dash: Dashboard,
                                                                     world: World) -> None:
    body = {"area": world.kel_a, "year": world.today.year, "achievements": "D/S naik",
            "obstacles": "Timbangan rusak di <b>Mawar</b>", "recommendations": "Kunjungan rumah"}
    status, saved = await dash.request("PUT", "api/review/notes", COORD_A, json=body)
    assert status == 200 and saved["saved"] == ["achievements", "obstacles", "recommendations"]
    _, review = await dash.get("api/review", COORD_A)
    assert review["notes"]["obstacles"] == "Timbangan rusak di <b>Mawar</b>" and review["may_write"] is True
    rows = await bot.runtime.db.fetchall("SELECT actor_id, action, entity, entity_id, details FROM audit_log"
                                         " WHERE entity = 'review_notes'")
    assert [(r["actor_id"], r["action"], r["entity_id"]) for r in rows] == [
        (COORD_A, "create", f"{world.kel_a}:{world.today.year}")]
    assert "Timbangan" not in rows[0]["details"] and "obstacles" in rows[0]["details"]
    status, _ = await dash.request("PUT", "api/review/notes", COORD_A, json={**body, "area": world.kel_b})
    assert status == 403


async def test_review_counts_and_downloads_hold_only_the_callers_area(dash: Dashboard, world: World) -> None:
    _, review = await dash.get("api/review", COORD_A)
    assert [r["name"] for r in review["posyandu"]] == ["Posyandu Mawar", "Posyandu Melati 1"]
    assert review["total"]["now"]["stunted"] == 2 and review["month"] == f"{world.today:%Y-%m}"
    assert {s["key"] for s in review["sections"]} == {"cases", "programs"}
    status, link = await dash.request("POST", "api/download", COORD_A,
                                      json={"kind": "xlsx", "area": None, "year": world.today.year})
    assert status == 200 and link["filename"].endswith(".xlsx")
    status, content = await dash.get(link["url"], None)
    assert status == 200
    book = load_workbook(io.BytesIO(content))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Posyandu Melati 1" in cells and "Posyandu Mawar" in cells
    assert "Anggrek" not in cells and "Kenanga" not in cells and "Sukajadi" not in cells
    status, link = await dash.request("POST", "api/download", COORD_A,
                                      json={"kind": "pdf", "area": world.kel_a, "year": world.today.year})
    status, pdf = await dash.get(link["url"], None)
    assert status == 200 and pdf[:5] == b"%PDF-"
    assert (await dash.request("POST", "api/download", COORD_A,
                               json={"kind": "xlsx", "area": world.kel_b, "year": world.today.year}))[0] == 403
    assert (await dash.get(link["url"][:-3] + "xyz", None))[0] == 401  # a tampered link


async def test_static_page_is_served_with_a_strict_policy(dash: Dashboard, world: World) -> None:
    assert dash.session is not None
    async with dash.session.get(dash.base) as r:
        page = await r.text()
        assert r.status == 200 and "static/app.js" in page
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    status, strings = await dash.get("api/strings?lang=en", None)
    assert status == 200 and strings["strings"]["tab_review"] == "Annual review"


async def test_dasbor_offers_the_web_app_and_sets_the_menu_button(bot: BotHarness, api: FakeBotAPI,
                                                                  world: World) -> None:
    replies = await bot.say(COORD_A, "/dasbor")
    markup = replies[-1]["reply_markup"]["inline_keyboard"][0][0]
    assert markup["web_app"]["url"] == DASHBOARD_URL and buttons(replies[-1]) == ["📊 Buka dasbor"]
    assert api.menu_buttons[COORD_A]["type"] == "web_app"
    out = texts(await bot.say(CADRE_A1, "/dasbor"))
    assert "untuk koordinator posyandu, tenaga kesehatan dan admin" in out
    assert CADRE_A1 not in api.menu_buttons


async def test_dasbor_without_a_url_says_how_to_set_it_up(api: FakeBotAPI, tmp_path: Path) -> None:
    harness = BotHarness(api, tmp_path / "plain.db", admin_ids=[ADMIN])
    await harness.start()
    try:
        api.user(ADMIN, "Admin")
        out = texts(await harness.say(ADMIN, "/dasbor"))
        assert "DASHBOARD_URL" in out and "https://" in out
    finally:
        await harness.stop()


async def test_webhook_mode_serves_the_dashboard_on_the_webhook_port(api: FakeBotAPI, tmp_path: Path) -> None:
    """One port for both (PTB's own webhook server is tornado-based): the page and the webhook, each guarded."""
    import asyncio

    import aiohttp

    from bot.runner import run_bot
    from tests.e2e.test_hardening_webhook import SECRET, _free_port, _settings

    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(_settings(api, tmp_path / "w.db", port, dashboard_url=DASHBOARD_URL),
                                       webhook=True, stop=stop))
    try:
        await api.wait_for(lambda: bool(api.webhook.get("url")) or task.done(), timeout=15)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/dasbor/") as r:
                assert r.status == 200 and "static/app.js" in await r.text()
            async with session.get(f"http://127.0.0.1:{port}/dasbor/api/me") as r:
                assert r.status == 401
            async with session.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 1}) as r:
                assert r.status == 403  # no secret
            async with session.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 2},
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                assert r.status == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_case_and_program_sections_show_the_journeys_counts_within_the_scope(
        bot: BotHarness, dash: Dashboard, world: World) -> None:
    """The registry's sections from issues 16 (cases) and 14 (programs): their own counts, only the caller's area."""
    from bot.services import cases as cases_svc
    from bot.services import programs as programs_svc
    from storage.program_queries import ProgramCreate

    repos = bot.runtime.repos
    start = month_start(world.today, 1)
    admin = access_admin()
    for name, area in (("PMT Kampung Bali", world.kel_a), ("PMT Sukajadi", world.kel_b)):
        program = await programs_svc.create(repos, admin, ProgramCreate(
            name=name, sponsor="Polres", area_id=area, kind="pmt_lokal", starts_on=start,
            ends_on=world.today + dt.timedelta(days=60)))
        kids = [c.id for c in await repos.children.list_by_posyandu(
            world.p_a1 if area == world.kel_a else world.p_b1)][:2]
        await programs_svc.enrol(repos, program, kids, world.today, ADMIN)
    _, data = await dash.get("api/overview", COORD_A)
    sections = {s["key"]: s for s in data["sections"]}
    cases = sections["cases"]
    counted = await cases_svc.case_counts(repos, [world.p_a1, world.p_a2], world.today)
    opened = sum(c.opened for c in counted.values())
    assert cases["available"] and opened == 4
    assert {f["label"]: f["value"] for f in cases["figures"]}["Dibuka"] == opened
    assert [r[0] for r in cases["tables"][0]["rows"]] == ["Posyandu Mawar", "Posyandu Melati 1"]
    programs = sections["programs"]
    assert programs["available"] and [r[0] for r in programs["tables"][0]["rows"]] == ["PMT Kampung Bali"]
    assert programs["tables"][0]["rows"][0][3] == 2  # enrolled
    _, review = await dash.get("api/review", COORD_CITY)
    names = {r[0] for s in review["sections"] if s["key"] == "programs" for r in s["tables"][0]["rows"]}
    assert names == {"PMT Kampung Bali", "PMT Sukajadi"}


def access_admin() -> access.Principal:
    return access.Principal(user_id=ADMIN, role=Role.ADMIN)
