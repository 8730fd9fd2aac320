"""Repositories: children, guardians, users, invites, measurements, recap, places, outreach tables."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import (
    AreaLevel,
    BroadcastCreate,
    ChildStatus,
    ChildUpdate,
    Conflict,
    DeliveryStatus,
    Faltering,
    IntegrityViolation,
    InvalidInput,
    InviteCreate,
    InviteInvalid,
    MeasurementCreate,
    NotFound,
    Position,
    ReminderStatus,
    Repositories,
    Role,
    SessionCreate,
    SessionStatus,
)
from tests.storage.conftest import FixedClock, Places, child_data

# ------------------------------------------------------------------ places


async def test_posyandu_ids_within_any_level(repos: Repositories, places: Places) -> None:
    """A city, kecamatan or kelurahan contains the posyandu below it."""
    assert await repos.areas.posyandu_ids_within(places.city) == [places.posyandu, places.other_posyandu]
    assert await repos.areas.posyandu_ids_within(places.kelurahan) == [places.posyandu]


async def test_area_ancestors_nearest_first(repos: Repositories, places: Places) -> None:
    chain = await repos.areas.ancestors(places.kelurahan)
    assert [a.id for a in chain] == [places.kelurahan, places.kecamatan, places.city]


async def test_kelurahan_must_be_inside_kecamatan(repos: Repositories, places: Places) -> None:
    with pytest.raises(InvalidInput):
        await repos.areas.create(AreaLevel.KELURAHAN, "Salah", places.city)


async def test_area_names_are_unique_under_a_parent(repos: Repositories, places: Places) -> None:
    with pytest.raises(Conflict):
        await repos.areas.create(AreaLevel.KELURAHAN, "  dago ", places.kecamatan)
    area, created = await repos.areas.get_or_create(AreaLevel.KELURAHAN, "DAGO", places.kecamatan)
    assert (area.id, created) == (places.kelurahan, False)


async def test_posyandu_list_within_area(repos: Repositories, places: Places) -> None:
    names = [p.name for p in await repos.posyandu.list_all(area_id=places.kecamatan)]
    assert names == ["Mawar", "Melati 1"]


# ------------------------------------------------------------------ children


async def test_child_codes_are_short_and_sequential(repos: Repositories, places: Places) -> None:
    a = await repos.children.create(child_data(places.posyandu, "Anak Satu"))
    b = await repos.children.create(child_data(places.posyandu, "Anak Dua"))
    assert (a.code, b.code) == ("A1", "A2")


async def test_get_by_code_forgives_typing(repos: Repositories, places: Places) -> None:
    for i in range(12):
        await repos.children.create(child_data(places.posyandu, f"Anak {i}"))
    child = await repos.children.get_by_code(" b-3 ")
    assert child is not None and child.code == "B3"
    assert await repos.children.get_by_code("zzz") is None


async def test_explicit_code_is_skipped_by_the_sequence(repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, "Pertama", code="a1"))
    second = await repos.children.create(child_data(places.posyandu, "Kedua"))
    assert second.code == "A2"


async def test_search_ignores_case_and_spaces(repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, "Siti Aminah"))
    await repos.children.create(child_data(places.posyandu, "Aminah Putri"))
    await repos.children.create(child_data(places.other_posyandu, "Siti Aminah Lain"))
    found = await repos.children.search_by_name(places.posyandu, "AMI NAH")
    assert [c.name for c in found] == ["Aminah Putri", "Siti Aminah"]  # prefix matches first


async def test_search_treats_percent_literally(repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, "Budi"))
    assert await repos.children.search_by_name(places.posyandu, "%") == []


async def test_list_by_posyandu_paginates(repos: Repositories, places: Places) -> None:
    for name in ["Cici", "Ani", "Bela", "Dodi"]:
        await repos.children.create(child_data(places.posyandu, name))
    page2 = await repos.children.list_by_posyandu(places.posyandu, offset=2, limit=2)
    assert [c.name for c in page2] == ["Cici", "Dodi"]
    assert await repos.children.count_by_posyandu(places.posyandu) == 4


async def test_find_duplicate_by_name_birth_date_and_posyandu(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu, "Budi Santoso"))
    dup = await repos.children.find_duplicate("budi  santoso", dt.date(2023, 4, 1), places.posyandu)
    assert dup is not None and dup.id == child.id
    assert await repos.children.find_duplicate("budi santoso", dt.date(2023, 4, 1), places.other_posyandu) is None


async def test_phone_is_normalised_and_searchable(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu, guardian_phone="0812-3456-7890"))
    assert child.guardian_phone == "+6281234567890"
    assert [c.id for c in await repos.children.find_by_guardian_phone("+62 812 3456 7890")] == [child.id]


async def test_duplicate_nik_is_refused(repos: Repositories, places: Places) -> None:
    await repos.children.create(child_data(places.posyandu, "Satu", nik="3273010101230012"))
    with pytest.raises(Conflict) as err:
        await repos.children.create(child_data(places.posyandu, "Dua", nik="3273 0101 0123 0012"))
    assert "NIK" in err.value.message()


async def test_a_child_of_an_unknown_posyandu_or_a_taken_code_is_refused_in_words(repos: Repositories,
                                                                                 places: Places) -> None:
    # The engines word their errors differently (SQLite, PostgreSQL): both reach the same sentence.
    with pytest.raises(IntegrityViolation) as err:
        await repos.children.create(child_data(999_999, "Tiga"))
    assert "osyandu" in err.value.message()
    await repos.children.create(child_data(places.posyandu, "Empat", code="B7"))
    with pytest.raises(IntegrityViolation) as err:
        await repos.children.create(child_data(places.posyandu, "Lima", code="B7"))
    assert "B7" in err.value.message()


async def test_nik_is_masked_and_not_in_repr(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu, nik="3273010101230012"))
    assert child.nik_masked == "3273••••••••0012"
    assert "3273010101230012" not in repr(child)
    assert "Budi" not in repr(child)


async def test_birth_date_in_future_is_refused(repos: Repositories, places: Places) -> None:
    with pytest.raises(InvalidInput) as err:
        await repos.children.create(child_data(places.posyandu, birth_date=dt.date(2030, 1, 1)))
    assert err.value.message() == "Tanggal tersebut ada di masa depan."


async def test_update_changes_only_given_fields_and_audits_field_names(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu, guardian_name="Siti"))
    changes = ChildUpdate(guardian_phone="081234567890", status=ChildStatus.MOVED)
    updated = await repos.children.update(child.id, changes, actor_id=7)
    assert updated.guardian_name == "Siti" and updated.status == ChildStatus.MOVED
    audit = await repos.audit.list_for("child", child.id)
    assert audit[0].details == {"fields": ["guardian_phone", "status"]}
    assert "0812" not in str(audit[0].details)


# ------------------------------------------------------------------ users, guardians, invites


async def test_upsert_keeps_chosen_language(repos: Repositories) -> None:
    await repos.users.upsert(42, "Ibu Siti", "en")
    await repos.users.set_language(42, "id")
    user = await repos.users.upsert(42, "Ibu Siti A.", "en")
    assert (user.language, user.display_name) == ("id", "Ibu Siti A.")


async def test_set_role_checks_scope_kind(repos: Repositories, places: Places) -> None:
    with pytest.raises(InvalidInput):
        await repos.users.set_role(5, Role.CADRE, area_id=places.kelurahan)
    user = await repos.users.set_role(5, Role.CADRE, posyandu_id=places.posyandu)
    assert (user.role, user.posyandu_id) == (Role.CADRE, places.posyandu)


async def test_guardians_link_both_ways(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.users.upsert(42, "Ibu")
    await repos.guardians.link(child.id, 42, "ibu")
    await repos.guardians.link(child.id, 42, "ibu")  # idempotent
    assert [c.id for c in await repos.guardians.children_of(42)] == [child.id]
    assert [u.telegram_id for u in await repos.guardians.guardians_of(child.id)] == [42]
    assert await repos.guardians.unlink(child.id, 42)
    assert await repos.guardians.children_of(42) == []


async def test_user_with_child_ids_in_one_query(repos: Repositories, places: Places) -> None:
    first = await repos.children.create(child_data(places.posyandu))
    second = await repos.children.create(child_data(places.posyandu, name="Siti Aminah"))
    await repos.users.upsert(42, "Ibu")
    await repos.users.upsert(43, "Kader")
    await repos.guardians.link(first.id, 42)
    await repos.guardians.link(second.id, 42)
    found = await repos.users.find_with_child_ids(42)
    assert found is not None and found[0].display_name == "Ibu" and found[1] == {first.id, second.id}
    assert await repos.users.find_with_child_ids(43) == (await repos.users.get(43), set())
    assert await repos.users.find_with_child_ids(44) is None


async def test_invite_redeem_gives_role_and_links_child(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=places.posyandu,
                                                     child_id=child.id, created_by=1))
    await repos.invites.redeem(invite.code.lower(), 42, "Ibu")
    user = await repos.users.get(42)
    assert user.role == Role.PARENT
    assert [c.id for c in await repos.guardians.children_of(42)] == [child.id]


async def test_invite_is_single_use(repos: Repositories, places: Places) -> None:
    invite = await repos.invites.create(InviteCreate(role=Role.CADRE, posyandu_id=places.posyandu))
    await repos.invites.redeem(invite.code, 42)
    with pytest.raises(InviteInvalid) as err:
        await repos.invites.redeem(invite.code, 43)
    assert err.value.message() == "Kode undangan ini sudah dipakai."
    assert (await repos.users.find(43)) is None


async def test_expired_invite_is_refused(repos: Repositories, places: Places, clock: FixedClock) -> None:
    invite = await repos.invites.create(InviteCreate(role=Role.CADRE, posyandu_id=places.posyandu,
                                                     valid_for=dt.timedelta(hours=1)))
    clock.value += dt.timedelta(hours=2)
    with pytest.raises(InviteInvalid) as err:
        await repos.invites.redeem(invite.code, 42)
    assert "kedaluwarsa" in err.value.message()


async def test_parent_invite_does_not_demote_a_cadre(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.users.set_role(42, Role.CADRE, posyandu_id=places.posyandu)
    invite = await repos.invites.create(InviteCreate(role=Role.PARENT, child_id=child.id))
    await repos.invites.redeem(invite.code, 42)
    assert (await repos.users.get(42)).role == Role.CADRE
    assert await repos.guardians.child_ids_of(42) == {child.id}


async def test_unknown_invite(repos: Repositories) -> None:
    with pytest.raises(InviteInvalid):
        await repos.invites.redeem("NOPE1234", 1)


async def test_delete_parent_data_removes_links_not_children(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    await repos.users.upsert(42, "Ibu")
    await repos.guardians.link(child.id, 42)
    await repos.tips.record(42, "tip-1")
    assert await repos.users.delete_parent_data(42)
    assert await repos.users.find(42) is None
    assert await repos.tips.sent_tip_ids(42) == set()
    assert await repos.children.find_by_id(child.id) is not None


async def test_delete_parent_data_refuses_staff(repos: Repositories, places: Places) -> None:
    await repos.users.set_role(5, Role.CADRE, posyandu_id=places.posyandu)
    with pytest.raises(Conflict):
        await repos.users.delete_parent_data(5)


async def test_push_recipients_skip_opted_out(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    for uid in (41, 42):
        await repos.users.upsert(uid, "x")
        await repos.guardians.link(child.id, uid)
    await repos.users.set_opt_out(41, True)
    await repos.users.set_role(5, Role.CADRE, posyandu_id=places.posyandu)
    assert await repos.users.push_recipients_for_posyandu([places.posyandu], cadres=True) == [5, 42]


# ------------------------------------------------------------------ measurements


def measurement(child_id: int, day: dt.date, weight: float = 10.0, **kw: object) -> MeasurementCreate:
    data: dict[str, object] = {"child_id": child_id, "measured_on": day, "weight_kg": weight, "length_cm": 80.0,
                               "position": Position.LYING, "entered_by": 5}
    data.update(kw)
    return MeasurementCreate.model_validate(data)


async def test_measurement_round_trip(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    saved = await repos.measurements.add(measurement(
        child.id, dt.date(2024, 12, 1), waz=-1.12, haz=-2.35, categories={"haz": "stunted", "waz": "normal"},
        faltering=Faltering.T, flags=("standing_under_9_months",)))
    again = await repos.measurements.get(saved.id)
    assert again == saved
    assert again.age_days == (dt.date(2024, 12, 1) - child.birth_date).days
    assert again.categories == {"waz": "normal", "haz": "stunted"}
    assert not again.implausible


async def test_implausible_is_derived_from_flags(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    saved = await repos.measurements.add(measurement(child.id, dt.date(2024, 12, 1), flags=("implausible_waz",)))
    assert saved.implausible


async def test_correction_supersedes_and_keeps_history(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    first = await repos.measurements.add(measurement(child.id, dt.date(2024, 12, 1), 105.0))
    fixed = await repos.measurements.correct(first.id, measurement(child.id, dt.date(2024, 12, 1), 10.5))
    assert fixed.supersedes_id == first.id
    assert (await repos.measurements.get(first.id)).superseded_by == fixed.id
    assert [m.id for m in await repos.measurements.history_for_child(child.id)] == [fixed.id]
    assert len(await repos.measurements.history_for_child(child.id, include_superseded=True)) == 2
    latest = await repos.measurements.latest_for_child(child.id)
    assert latest is not None and latest.weight_kg == 10.5


async def test_correcting_a_superseded_row_is_refused(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    first = await repos.measurements.add(measurement(child.id, dt.date(2024, 12, 1)))
    await repos.measurements.correct(first.id, measurement(child.id, dt.date(2024, 12, 1), 10.2))
    with pytest.raises(Conflict):
        await repos.measurements.correct(first.id, measurement(child.id, dt.date(2024, 12, 1), 10.3))


async def test_measurement_in_future_or_before_birth_is_refused(repos: Repositories, places: Places) -> None:
    child = await repos.children.create(child_data(places.posyandu))
    with pytest.raises(InvalidInput):
        await repos.measurements.add(measurement(child.id, dt.date(2025, 6, 1)))
    with pytest.raises(InvalidInput):
        await repos.measurements.add(measurement(child.id, dt.date(2022, 6, 1)))


async def test_measurement_for_unknown_child(repos: Repositories) -> None:
    with pytest.raises(NotFound):
        await repos.measurements.add(measurement(999, dt.date(2024, 12, 1)))


async def test_recent_by_user_newest_first(repos: Repositories, places: Places) -> None:
    a = await repos.children.create(child_data(places.posyandu, "A"))
    b = await repos.children.create(child_data(places.posyandu, "B"))
    await repos.measurements.add(measurement(a.id, dt.date(2024, 11, 30)))
    m2 = await repos.measurements.add(measurement(b.id, dt.date(2024, 12, 2)))
    assert [m.id for m in await repos.measurements.recent_by_user(5, limit=1)] == [m2.id]


# ------------------------------------------------------------------ sessions, reminders, tips, broadcasts


async def test_session_move_keeps_both_rows(repos: Repositories, places: Places) -> None:
    await repos.sessions.upsert(SessionCreate(posyandu_id=places.posyandu, session_date=dt.date(2024, 12, 10),
                                              start_time=dt.time(8, 0)))
    new = await repos.sessions.move(places.posyandu, dt.date(2024, 12, 10), dt.date(2024, 12, 12))
    old = await repos.sessions.get(places.posyandu, dt.date(2024, 12, 10))
    assert old is not None and old.status == SessionStatus.MOVED and old.moved_to == dt.date(2024, 12, 12)
    assert new.start_time == dt.time(8, 0) and new.status == SessionStatus.SCHEDULED


async def test_reminder_claim_is_idempotent(repos: Repositories) -> None:
    assert await repos.reminders.claim("h-1:7:2024-12-10:42", 42, "h-1")
    assert not await repos.reminders.claim("h-1:7:2024-12-10:42", 42, "h-1")
    await repos.reminders.mark("h-1:7:2024-12-10:42", ReminderStatus.SENT)
    rec = await repos.reminders.get("h-1:7:2024-12-10:42")
    assert rec is not None and rec.status == ReminderStatus.SENT


async def test_broadcast_has_one_delivery_per_recipient(repos: Repositories, places: Places) -> None:
    b = await repos.broadcasts.create(BroadcastCreate(author_id=1, text="Halo", audience="parents",
                                                      scope_posyandu_id=places.posyandu), [5, 6, 5])
    pending = await repos.broadcasts.pending_deliveries(b.id)
    assert [d.recipient_id for d in pending] == [5, 6]
    await repos.broadcasts.mark_delivery(pending[0].id, DeliveryStatus.SENT)
    await repos.broadcasts.mark_delivery(pending[1].id, DeliveryStatus.BLOCKED, "Forbidden: bot was blocked")
    stats = await repos.broadcasts.stats(b.id)
    assert (stats[DeliveryStatus.SENT], stats[DeliveryStatus.BLOCKED], stats[DeliveryStatus.PENDING]) == (1, 1, 0)
    assert [x.id for x in await repos.broadcasts.unfinished()] == [b.id]
