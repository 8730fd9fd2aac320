"""The measurement service: reading typed numbers, date rules, plausibility, faltering and saving."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services import measurement as svc
from bot.services.measurement import Draft, InputIssue
from storage import Repositories, open_database
from storage.models import AreaLevel, Child, ChildCreate, Faltering, Measurement, Position, PosyanduCreate, Role, Sex

TODAY = dt.date.today()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10,5", "10.5"), ("10.5", "10.5"), ("10,5 kg", "10.5"), ("10.5kg", "10.5"), (" 82 cm ", "82"),
     ("10500", "10.5"), ("9", "9")],
)
def test_read_number_accepts_what_cadres_type(text: str, expected: str) -> None:
    field: svc.NumberField = "length_cm" if "cm" in text else "weight_kg"
    assert svc.read_number(text, field) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [("sepuluh", "number_word"), ("sepuluh koma lima", "number_word"), ("abc", "not_a_number"),
     ("😀", "no_digits"), ("", "empty"), ("0", "not_positive"), ("-3", "not_positive"), ("1" * 50, "too_long"),
     ("0,2", "out_of_range"), ("105", "out_of_range")],
)
def test_read_number_refuses_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(InputIssue) as info:
        svc.read_number(text, "weight_kg")
    assert info.value.code == code


def test_out_of_range_weight_suggests_the_missing_decimal_point() -> None:
    with pytest.raises(InputIssue) as info:
        svc.read_number("105", "weight_kg")
    assert info.value.params["suggestion"] == Decimal("10.5")


def test_suggested_position_by_age() -> None:
    assert svc.suggested_position(730) is Position.LYING
    assert svc.suggested_position(731) is Position.STANDING


def _child(birth: dt.date, sex: Sex = Sex.MALE) -> Child:
    now = dt.datetime.now(dt.UTC)
    return Child(id=1, code="A1", name="Budi", sex=sex, birth_date=birth, nik=None, guardian_name=None,
                 guardian_phone=None, posyandu_id=1, address=None, rt=None, rw=None, birth_weight_kg=None,
                 birth_length_cm=None, status="active", created_by=None, created_at=now, updated_at=now)


@pytest.mark.parametrize(
    ("days_after_birth", "measured_offset", "code"),
    [(600, 1, "date_future"), (600, -700, "before_birth"), (1900, 0, "over_five")],
)
def test_check_date(days_after_birth: int, measured_offset: int, code: str) -> None:
    child = _child(TODAY - dt.timedelta(days=days_after_birth))
    with pytest.raises(InputIssue) as info:
        svc.check_date(TODAY + dt.timedelta(days=measured_offset), child, TODAY)
    assert info.value.code == code


def test_check_value_flags_an_impossible_weight_with_suggestion() -> None:
    child = _child(TODAY - dt.timedelta(days=610))  # 1 y 8 m
    draft = Draft(child_id=1, measured_on=TODAY, weight_kg=Decimal("1.05"))  # a misplaced decimal point
    problem = svc.check_value(child, draft, "weight_kg")
    assert problem is not None and problem.code == "implausible_for_age" and problem.suggestion == 10.5
    draft.weight_kg = Decimal("25")  # implausible, but no decimal slip explains it
    problem = svc.check_value(child, draft, "weight_kg")
    assert problem is not None and problem.suggestion is None
    draft.keep_as_remeasure("weight_kg")
    assert svc.check_value(child, draft, "weight_kg") is None  # kept as "perlu ukur ulang": asked once only


def test_check_value_accepts_a_normal_weight() -> None:
    child = _child(TODAY - dt.timedelta(days=610))
    assert svc.check_value(child, Draft(child_id=1, measured_on=TODAY, weight_kg=Decimal("10.5")), "weight_kg") is None


def test_draft_round_trips_through_json() -> None:
    draft = Draft(child_id=3, measured_on=TODAY, weight_kg=Decimal("10.5"), length_cm=Decimal("82.3"),
                  position=Position.STANDING, oedema=True, corrects_id=9, confirmed=["change:weight_kg"],
                  remeasure=["length_cm"], same_month="keep")
    assert Draft.from_dict(draft.to_dict()) == draft


# ------------------------------------------------------------------ with a database


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repositories]:
    db = await open_database(tmp_path / "t.db")
    try:
        yield Repositories(db)
    finally:
        await db.close()


async def _world(repos: Repositories, birth: dt.date) -> Child:
    city = await repos.areas.create(AreaLevel.CITY, "Kota")
    kec = await repos.areas.create(AreaLevel.KECAMATAN, "Kec", city.id)
    kel = await repos.areas.create(AreaLevel.KELURAHAN, "Kel", kec.id)
    pos = await repos.posyandu.create(PosyanduCreate(name="Melati", area_id=kel.id))
    await repos.users.set_role(1001, Role.CADRE, posyandu_id=pos.id)
    return await repos.children.create(ChildCreate(name="Budi", sex=Sex.MALE, birth_date=birth, posyandu_id=pos.id))


def _month(day: dt.date, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 10)


async def _save(repos: Repositories, child: Child, on: dt.date, weight: str) -> svc.Saved:
    draft = Draft(child_id=child.id, measured_on=on, weight_kg=Decimal(weight), length_cm=Decimal("80"),
                  position=Position.LYING)
    return await svc.save(repos, child, draft, entered_by=1001)


async def test_faltering_b_n_t_2t_from_stored_weighings(repos: Repositories) -> None:
    """First weighing B; +300 g N; +100 g T (refer: Buku KIA 2023); +50 g again 2T — from what storage holds."""
    birth = _month(TODAY, 20)
    child = await _world(repos, birth)
    statuses = []
    for back, weight in ((3, "9.9"), (2, "10.2"), (1, "10.3"), (0, "10.35")):
        saved = await _save(repos, child, _month(TODAY, back) if back else min(TODAY, _month(TODAY, 0)), weight)
        assert saved.faltering is not None
        statuses.append("2T" if saved.faltering.two_t else saved.faltering.status.value)
    assert statuses == ["B", "N", "T", "2T"]
    assert saved.refer
    stored = await repos.measurements.get(saved.measurement.id)
    assert stored.faltering is Faltering.T2  # the derived column follows the status function


async def test_gap_month_is_o(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    await _save(repos, child, _month(TODAY, 3), "9.9")
    saved = await _save(repos, child, _month(TODAY, 1), "10.3")
    assert saved.faltering is not None and saved.faltering.status.value == "O"


async def test_second_visit_in_a_month_asks_to_replace_or_keep(repos: Repositories) -> None:
    """Issue 13: a second weighing in the same month is never saved without the cadre's answer."""
    child = await _world(repos, _month(TODAY, 20))
    first = await _save(repos, child, _month(TODAY, 1), "10.3")
    with pytest.raises(svc.SameMonth) as info:
        await _save(repos, child, _month(TODAY, 1) + dt.timedelta(days=1), "10.4")
    assert info.value.existing.id == first.measurement.id
    replace = Draft(child_id=child.id, measured_on=_month(TODAY, 1), weight_kg=Decimal("10.4"),
                    length_cm=Decimal("80"), position=Position.LYING, same_month="replace")
    second = await svc.save(repos, child, replace, entered_by=1001)
    assert second.corrected is not None and second.corrected.id == first.measurement.id
    history = await repos.measurements.history_for_child(child.id, include_superseded=True)
    assert [m.weight_kg for m in history] == [10.3, 10.4]
    assert [m.weight_kg for m in await repos.measurements.history_for_child(child.id)] == [10.4]
    keep = Draft(child_id=child.id, measured_on=_month(TODAY, 1) + dt.timedelta(days=2), weight_kg=Decimal("10.5"),
                 length_cm=Decimal("80"), position=Position.LYING, same_month="keep")
    third = await svc.save(repos, child, keep, entered_by=1001)
    assert third.corrected is None and third.counted and not second.status.is_counted(third.measurement.id)
    assert [m.weight_kg for m in await repos.measurements.history_for_child(child.id)] == [10.4, 10.5]


async def test_correction_recomputes_zscores(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    saved = await _save(repos, child, _month(TODAY, 1), "10.3")
    draft = Draft.from_measurement(saved.measurement)
    draft.weight_kg = Decimal("8.0")
    corrected = await svc.save(repos, child, draft, entered_by=1001)
    assert corrected.measurement.supersedes_id == saved.measurement.id
    assert corrected.measurement.waz is not None and saved.measurement.waz is not None
    assert corrected.measurement.waz < saved.measurement.waz - 1


async def test_weight_drop_is_flagged_on_save(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    await _save(repos, child, _month(TODAY, 2), "11.5")
    saved = await _save(repos, child, _month(TODAY, 1), "10.0")
    assert "change_weight_kg" in saved.measurement.flags


async def test_staff_scope(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    staff = await svc.staff_of(repos, 1001)
    assert staff is not None and staff.may_access(child.posyandu_id) and not staff.may_access(child.posyandu_id + 1)
    await repos.users.upsert(4001, "Tamu")
    assert await svc.staff_of(repos, 4001) is None
    admin = await svc.staff_of(repos, 9, admin_ids=[9])
    assert admin is not None and admin.posyandu_ids is None


async def test_implausible_gain_is_flagged_on_save(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    await _save(repos, child, _month(TODAY, 2), "10.0")
    saved = await _save(repos, child, _month(TODAY, 1), "12.0")
    # The cadre was asked to weigh again and confirmed: the gain stands, marked on the card.
    assert svc.GAIN_FLAG in saved.measurement.flags and not saved.needs_remeasure


def test_a_gain_above_who_plus_3_sd_is_questioned() -> None:
    """WHO velocity 2009 (bot.growth.velocity): at 20 months +2 kg in a month is questioned, +800 g is not."""
    child = _child(TODAY - dt.timedelta(days=600))
    before = TODAY - dt.timedelta(days=30)
    prev = Measurement.model_validate(dict(
        id=1, child_id=1, measured_on=before, age_days=570, weight_kg=10.0, length_cm=None, position=None,
        oedema=False, head_cm=None, muac_cm=None, entered_by=None, waz=None, haz=None, whz=None, bmiz=None, hcz=None,
        muacz=None, flags=(), implausible=False, categories={}, faltering=None, bgm=False, note=None,
        supersedes_id=None, superseded_by=None, created_at=dt.datetime.now(dt.UTC)))
    assert svc.weight_gain_problem(child, prev, TODAY, Decimal("12.0")) is not None
    assert svc.weight_gain_problem(child, prev, TODAY, Decimal("10.8")) is None


async def test_plausible_gain_is_not_flagged(repos: Repositories) -> None:
    child = await _world(repos, _month(TODAY, 20))
    await _save(repos, child, _month(TODAY, 2), "10.0")
    saved = await _save(repos, child, _month(TODAY, 1), "10.8")
    assert not saved.needs_remeasure and svc.GAIN_FLAG not in saved.measurement.flags


async def test_backdated_entry_recomputes_later_faltering(repos: Repositories) -> None:
    """The later B becomes N once an earlier weighing is inserted; its values are untouched."""
    child = await _world(repos, _month(TODAY, 20))
    later = await _save(repos, child, _month(TODAY, 1), "10.3")
    assert later.faltering is not None and later.faltering.status.value == "B"
    backdated = await _save(repos, child, _month(TODAY, 2), "10.0")
    after = backdated.status.assessment(later.measurement.id)
    assert after is not None and after.weighing is not None and after.weighing.status.value == "N"
    updated = await repos.measurements.get(later.measurement.id)
    assert updated.faltering is Faltering.N and updated.weight_kg == 10.3 and updated.superseded_by is None


def test_out_of_range_suggestion_is_kept_when_plausible_for_the_age() -> None:
    child = _child(TODAY - dt.timedelta(days=610))  # 1 y 8 m
    draft = Draft(child_id=1, measured_on=TODAY, position=Position.LYING)
    with pytest.raises(InputIssue) as info:
        svc.read_number("105", "weight_kg", child=child, draft=draft)
    assert info.value.params["suggestion"] == Decimal("10.5")


def test_out_of_range_gets_no_suggestion_that_is_implausible_for_the_age() -> None:
    child = _child(TODAY - dt.timedelta(days=610))  # 1 y 8 m: a LiLA of 8,0 cm is not plausible
    draft = Draft(child_id=1, measured_on=TODAY, position=Position.LYING)
    with pytest.raises(InputIssue) as info:
        svc.read_number("802", "muac_cm", child=child, draft=draft)
    assert info.value.code == "out_of_range" and info.value.params["suggestion"] is None
    with pytest.raises(InputIssue) as info:
        svc.read_number("802", "muac_cm")  # without the child only the hard limits can be checked
    assert info.value.params["suggestion"] == Decimal("8.02")


async def test_newest_flag_follows_the_child_s_current_rows(repos: Repositories) -> None:
    """`Saved.newest` decides whether parents are told: a back-dated entry is not the newest; correcting the
    newest row to an earlier date makes the row before it the newest; moving it, still after, keeps it."""
    child = await _world(repos, _month(TODAY, 20))
    older = await _save(repos, child, _month(TODAY, 3), "9.9")
    latest = await _save(repos, child, _month(TODAY, 1), "10.3")
    assert older.newest and latest.newest
    backdated = await _save(repos, child, _month(TODAY, 2), "10.1")
    assert backdated.newest is False

    moved_before = Draft.from_measurement(latest.measurement)
    moved_before.measured_on = _month(TODAY, 4)  # the newest row, corrected to before every other row
    saved = await svc.save(repos, child, moved_before, entered_by=1001)
    assert saved.corrected is not None and saved.newest is False
    assert (await repos.measurements.latest_for_child(child.id)).id == backdated.measurement.id  # type: ignore[union-attr]

    latest_again = await _save(repos, child, _month(TODAY, 1), "10.4")
    still_after = Draft.from_measurement(latest_again.measurement)
    still_after.measured_on = _month(TODAY, 1) - dt.timedelta(days=2)
    assert (await svc.save(repos, child, still_after, entered_by=1001)).newest is True
