"""The area tree a coordinator's command needs is kept per database while no area or posyandu changed, and loaded
again after any change, whoever made it (this process, another worker, a row written by hand)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.team import load_tree
from storage import AreaLevel, PosyanduCreate, Repositories, open_database


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "tree.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def _kelurahan(repos: Repositories) -> int:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Jambi")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Telanaipura", city.id)
    return (await repos.areas.create(AreaLevel.KELURAHAN, "Simpang IV Sipin", kec.id)).id


async def test_an_unchanged_tree_is_kept_and_a_change_here_loads_it_again(repos: Repositories) -> None:
    kel = await _kelurahan(repos)
    p = await repos.posyandu.create(PosyanduCreate(name="Posyandu Kenanga", area_id=kel))
    first = await load_tree(repos)
    assert await load_tree(repos) is first
    await repos.posyandu.update(p.id, name="Posyandu Kenanga Baru")
    renamed = await load_tree(repos)
    assert renamed is not first and renamed.posyandu[p.id].name == "Posyandu Kenanga Baru"
    await repos.posyandu.set_schedule_rule(p.id, "Selasa minggu ke-2 08.00-11.00")
    assert (await load_tree(repos)).posyandu[p.id].schedule_rule == "Selasa minggu ke-2 08.00-11.00"
    await repos.posyandu.update(p.id, active=False)
    assert p.id not in (await load_tree(repos)).posyandu


async def test_a_change_by_another_worker_or_by_hand_is_seen_at_the_next_command(repos: Repositories,
                                                                                  tmp_path: Path) -> None:
    kel = await _kelurahan(repos)
    before = await load_tree(repos)
    other = await open_database(tmp_path / "tree.db", migrate=False)  # another worker's connection
    try:
        added = await Repositories(other).posyandu.create(PosyanduCreate(name="Posyandu Melati", area_id=kel))
    finally:
        await other.close()
    after = await load_tree(repos)
    assert added.id not in before.posyandu and added.id in after.posyandu
    kecamatan = after.areas[kel].parent_id
    await repos.db.execute("INSERT INTO areas (level, name, name_key, parent_id, created_at)"
                           " VALUES ('kelurahan', 'Legok', 'legok', ?, '2026-11-30T00:00:00+00:00')", (kecamatan,))
    assert any(a.name == "Legok" for a in (await load_tree(repos)).areas.values())
