"""/rekap through the real Application reads the counts kept per posyandu and month (migration 0120): after
measurements, corrections, a child moved to another posyandu and a deletion, every number the city coordinator
reads equals a recount of every child."""

from __future__ import annotations

import datetime as dt

from bot.services import team as tsvc
from bot.sim.fake_api import FakeBotAPI
from storage import ChildUpdate, MeasurementCreate, Repositories
from storage import status_queries as q
from storage.models import AreaLevel
from tests.e2e.harness import BotHarness, texts, today_wib
from tests.e2e.test_coordinator_seed import COORD_CITY, World, add_child, month_start, seed_world, weigh


async def _recount_lines(repos: Repositories, world: World) -> list[str]:
    """The recap's numbers as a recount gives them, in the words of the Indonesian message."""
    tree = await tsvc.load_tree(repos)
    pids = tree.posyandu_within(world.city)
    counts = await q.recount_month_counts(repos.db, pids, month_start(world.today))
    t = {f: sum(getattr(c, f) for c in counts.values()) for f in q.PosyanduCounts.model_fields if f != "posyandu_id"}
    lines = [
        f"Balita terdaftar (S) {t['s']} · ditimbang (D) {t['d']} · naik (N) {t['n']}",
        f"N {t['n']} · T {t['t']} (2T {t['t2']}) · O {t['o']} · B {t['b']} · belum dinilai {t['too_soon']}",
        f"Dirujuk ke puskesmas: {t['refer']} anak ({t['urgent']} hari ini) · BGM {t['bgm']} · "
        f"gizi buruk {t['severe_wasted']} · sangat pendek {t['severe_stunted']}",
    ]
    for kec in tree.children.get(world.city, []):
        in_kec = [counts[p] for p in tree.posyandu_within(kec)]
        lines.append(f"• {tree.areas[kec].name}: S {sum(c.s for c in in_kec)} · D {sum(c.d for c in in_kec)}")
    return lines


async def _assert_rekap_is_the_recount(bot: BotHarness, world: World) -> str:
    out = texts(await bot.say(COORD_CITY, "/rekap"))
    for line in await _recount_lines(bot.runtime.repos, world):
        assert line in out, (line, out)
    return out


async def test_city_rekap_equals_the_recount_after_every_kind_of_write(bot: BotHarness, api: FakeBotAPI) -> None:
    repos = bot.runtime.repos
    world = await seed_world(repos, api, today_wib())
    this = month_start(world.today)
    day = this.replace(day=min(world.today.day, 5))
    out = await _assert_rekap_is_the_recount(bot, world)
    assert "• Kejaksan: S 9 · D 5" in out and "• Lemahwungkuk: S 3 · D 0" in out  # the seeded world, as before

    # Measurements: two children of Kelurahan C weighed (one below the red line).
    c_kids = [world.children[f"Anak {p}"] for p in world.parents[world.p_c1]]
    await weigh(world, c_kids[0], day, waz=-3.4, haz=-2.2)
    await weigh(world, c_kids[1], day, haz=-0.4)
    out = await _assert_rekap_is_the_recount(bot, world)
    assert "• Lemahwungkuk: S 3 · D 2" in out

    # A correction: the stunted weighing of Melati 1 was a typo.
    kid = world.children[f"Anak {world.parents[world.p_a1][0]}"]
    row = await repos.db.fetchone("SELECT id FROM measurements WHERE child_id = ? AND measured_on >= ?"
                                  " AND superseded_by IS NULL", (kid, this.isoformat()))
    assert row is not None
    await repos.measurements.correct(row["id"], MeasurementCreate(
        child_id=kid, measured_on=day, weight_kg=10.3, length_cm=80.0, waz=0.0, haz=-0.5, whz=0.0))
    await _assert_rekap_is_the_recount(bot, world)

    # A child moves from Kelurahan C to Melati 1 (another kecamatan): its weighing goes with it.
    await repos.children.update(c_kids[0], ChildUpdate(posyandu_id=world.p_a1))
    out = await _assert_rekap_is_the_recount(bot, world)
    assert "• Kejaksan: S 10 · D 6" in out and "• Lemahwungkuk: S 2 · D 1" in out

    # A child registered by mistake is deleted with its weighing.
    mistake = await add_child(world, "Anak Salah", world.p_b1)
    await weigh(world, mistake, day)
    await _assert_rekap_is_the_recount(bot, world)
    await repos.children.delete(mistake)
    out = await _assert_rekap_is_the_recount(bot, world)
    assert "• Kejaksan: S 10 · D 6" in out
    kec = await repos.areas.find("Kejaksan", level=AreaLevel.KECAMATAN)
    assert kec and kec[0].id == world.kec


async def test_rekap_of_last_month_counts_a_late_entry(bot: BotHarness, api: FakeBotAPI) -> None:
    """A visit entered today for last month changes last month's kept counts too."""
    repos = bot.runtime.repos
    world = await seed_world(repos, api, today_wib())
    last = month_start(world.today, 1)
    kid = world.children[f"Anak {world.parents[world.p_c1][0]}"]
    before = texts(await bot.say(COORD_CITY, f"/rekap {last:%Y-%m}"))
    assert "• Lemahwungkuk: S 3 · D 0" in before
    await weigh(world, kid, last + dt.timedelta(days=3))
    after = texts(await bot.say(COORD_CITY, f"/rekap {last:%Y-%m}"))
    assert "• Lemahwungkuk: S 3 · D 1" in after
