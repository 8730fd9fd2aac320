"""Age-tailored tips (bot.services.tips): content, choice without repeats, and the API the reminders use."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.tips import choose_tip, general_tip, load_tips, mark_sent, next_tip, tips_for_age
from storage import Repositories, open_database
from storage.models import AreaLevel, ChildCreate, ChildStatus, PosyanduCreate, Sex

TODAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "tips.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def make_child(repos: Repositories, birth: dt.date, name: str = "Budi") -> int:
    city = await repos.areas.create(AreaLevel.CITY, "Kota Tips")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec Tips", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel Tips", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    child = await repos.children.create(ChildCreate(name=name, sex=Sex.MALE, birth_date=birth, posyandu_id=pos.id))
    return child.id


def test_at_least_30_tips_spanning_0_to_59_months() -> None:
    tips = load_tips()
    assert len(tips) >= 30
    for months in range(60):
        assert len(tips_for_age(months)) >= 5, months  # every month of the first five years has a choice


def test_every_tip_has_both_languages_and_a_source() -> None:
    for tip in load_tips():
        assert tip.texts["id"] and tip.texts["en"] and tip.source, tip.id
        assert 0 <= tip.min_months <= tip.max_months <= 59, tip.id
        assert len(tip.texts["id"]) < 400, tip.id


def test_a_newborn_gets_breastfeeding_tips_not_solid_food() -> None:
    ids = {t.id for t in tips_for_age(2)}
    assert "t00_asi_only" in ids
    assert "t06_portion_68" not in ids


def test_age_specific_tips_come_before_all_ages_tips() -> None:
    ordered = tips_for_age(7)
    assert ordered[0].max_months - ordered[0].min_months <= ordered[-1].max_months - ordered[-1].min_months


def test_choose_skips_sent_tips_then_restarts_with_the_oldest() -> None:
    pool = tips_for_age(30)[:3]
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert choose_tip(pool, {}) == pool[0]
    assert choose_tip(pool, {pool[0].id: t0}) == pool[1]
    sent = {pool[0].id: t0 + dt.timedelta(days=2), pool[1].id: t0, pool[2].id: t0 + dt.timedelta(days=1)}
    assert choose_tip(pool, sent) == pool[1]
    assert choose_tip([], {}) is None


async def test_next_tip_never_repeats_until_the_age_band_is_exhausted(repos: Repositories) -> None:
    child_id = await make_child(repos, dt.date(2024, 7, 1))  # 6 months on TODAY
    band = tips_for_age(6)
    seen: list[str] = []
    for i in range(len(band)):
        tip = await next_tip(repos, 900, child_id, TODAY, "id")
        assert tip is not None
        seen.append(tip.id)
        await mark_sent(repos, 900, tip.id, NOW + dt.timedelta(minutes=i))
    assert sorted(seen) == sorted(t.id for t in band)  # each once
    again = await next_tip(repos, 900, child_id, TODAY, "id")
    assert again is not None and again.id == seen[0]  # the new round starts with the oldest


async def test_next_tip_is_in_the_requested_language(repos: Repositories) -> None:
    child_id = await make_child(repos, dt.date(2024, 12, 1))
    id_tip = await next_tip(repos, 901, child_id, TODAY, "id")
    en_tip = await next_tip(repos, 901, child_id, TODAY, "en")
    assert id_tip is not None and en_tip is not None
    assert id_tip.id == en_tip.id and id_tip.text != en_tip.text


async def test_another_parent_has_their_own_history(repos: Repositories) -> None:
    child_id = await make_child(repos, dt.date(2023, 1, 1))
    first = await next_tip(repos, 902, child_id, TODAY, "id")
    assert first is not None
    await mark_sent(repos, 902, first.id, NOW)
    other = await next_tip(repos, 903, child_id, TODAY, "id")
    assert other is not None and other.id == first.id


async def test_no_tip_for_unknown_over_five_or_inactive_children(repos: Repositories) -> None:
    assert await next_tip(repos, 904, 999_999, TODAY, "id") is None
    old = await make_child(repos, dt.date(2019, 1, 1))
    assert await next_tip(repos, 904, old, TODAY, "id") is None
    await repos.children.set_status(old, ChildStatus.MOVED)
    assert await next_tip(repos, 904, old, dt.date(2020, 1, 1), "id") is None


async def test_general_tip_for_a_parent_without_a_child(repos: Repositories) -> None:
    tip = await general_tip(repos, 905, "en")
    assert tip is not None and tip.id.startswith("tall_")
