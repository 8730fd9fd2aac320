"""The rules of the services at the posyandu (bot/growth/child_services.py), at their boundaries, each with its
source (docs/clinical-rules.md §7-§8)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.growth.child_services import (
    Enrolment,
    Given,
    KiaState,
    Override,
    ServiceKind,
    Tablet,
    check_delivery,
    check_deworming,
    check_dose,
    check_vitamin_a,
    deworming_dose,
    dose_of,
    half_year,
    immunisation_offers,
    kia_rows,
    offers_on,
    planned_pmt_days,
    read_vaccine,
)
from bot.growth.immunisation import BY_CODE

BIRTH = dt.date(2024, 1, 10)


def shot(code: str, on: dt.date) -> Given:
    return Given(ServiceKind.IMMUNISATION, code, on)


def capsule(colour: str, on: dt.date) -> Given:
    return Given(ServiceKind.VITAMIN_A, colour, on)


def day(n: int) -> dt.date:
    """The day the child is `n` days old."""
    return BIRTH + dt.timedelta(days=n)


# ------------------------------------------------------------------ immunisation


def test_a_dose_at_its_minimum_age_is_allowed() -> None:
    """Juknis ILP 2023: MR 1 at 9 months (minimum age 270 days in bot.growth.immunisation)."""
    assert check_dose(BY_CODE["MR1"], BIRTH, day(270), []) is None


def test_a_dose_up_to_4_days_early_needs_the_grace_exception_and_earlier_is_refused() -> None:
    """CDC ACIP General Best Practice Guidelines: doses ≤ 4 days before the minimum age count; earlier ones do not
    (and are given again). The cadre may record the first only with the exception marked."""
    four = check_dose(BY_CODE["MR1"], BIRTH, day(266), [])
    assert four is not None and four.code == "too_young" and four.overrides == (Override.GRACE,)
    assert four.on == day(270)
    assert check_dose(BY_CODE["MR1"], BIRTH, day(266), [], override=Override.GRACE) is None
    five = check_dose(BY_CODE["MR1"], BIRTH, day(265), [])
    assert five is not None and five.code == "too_young" and five.overrides == ()
    assert check_dose(BY_CODE["MR1"], BIRTH, day(265), [], override=Override.GRACE) is not None


def test_the_minimum_interval_after_the_previous_dose() -> None:
    """Juknis ILP 2023: DPT-HB-Hib, OPV, RV, PCV "1 bulan setelah imunisasi sebelumnya" (28 days); IPV 2 at least 4
    months (120 days) after IPV 1 (Dirjen P2P letter of 31 May 2023)."""
    first = shot("DPT1", day(60))
    assert check_dose(BY_CODE["DPT2"], BIRTH, day(88), [first]) is None
    early = check_dose(BY_CODE["DPT2"], BIRTH, day(85), [first])
    assert early is not None and early.code == "too_soon" and early.overrides == (Override.GRACE,)
    ipv1 = shot("IPV1", day(150))
    assert check_dose(BY_CODE["IPV2"], BIRTH, day(270), [ipv1]) is None
    too_soon = check_dose(BY_CODE["IPV2"], BIRTH, day(300), [shot("IPV1", day(200))])
    assert too_soon is not None and too_soon.code == "too_soon" and too_soon.on == day(320)


def test_a_dose_past_its_catch_up_limit_is_refused_without_exception() -> None:
    """Surat Dirjen P2P IM.02.02/C/3052/2023: the last rotavirus dose by 6 months 29 days; Buku KIA: BCG not from 12
    months. Neither can be waived."""
    rv = check_dose(BY_CODE["RV1"], BIRTH, dt.date(2024, 8, 10), [])  # 6 months 31 days
    assert rv is not None and rv.code == "past_limit" and rv.on == dt.date(2024, 8, 8) and rv.overrides == ()
    assert check_dose(BY_CODE["RV1"], BIRTH, dt.date(2024, 8, 8), []) is None
    bcg = check_dose(BY_CODE["BCG"], BIRTH, dt.date(2025, 1, 10), [])
    assert bcg is not None and bcg.code == "past_limit"
    assert check_dose(BY_CODE["BCG"], BIRTH, dt.date(2025, 1, 9), []) is None


def test_a_second_dose_of_one_vaccine_the_same_day_and_a_dose_recorded_twice_are_refused() -> None:
    opv1 = shot("OPV1", day(30))
    same = check_dose(BY_CODE["OPV2"], BIRTH, day(30), [opv1])
    assert same is not None and same.code == "same_day" and same.other == "OPV1"
    again = check_dose(BY_CODE["OPV1"], BIRTH, day(40), [opv1])
    assert again is not None and again.code == "already_given" and again.on == day(30)


def test_a_vaccine_word_means_the_next_dose_not_yet_recorded() -> None:
    assert read_vaccine("campak") == ("MR", None)
    assert read_vaccine("MR2") == ("MR", 2)
    assert read_vaccine("dpt-hb-hib3") == ("DPT-HB-Hib", 3)
    assert read_vaccine("flu") is None
    dose = dose_of("MR", None, [shot("MR1", day(280))])
    assert not isinstance(dose, str) and dose.code == "MR2"
    assert dose_of("MR", None, [shot("MR1", day(280)), shot("MR2", day(560))]) == "all_given"
    assert dose_of("MR", 3, []) == "no_such_dose"


# ------------------------------------------------------------------ vitamin A


def test_vitamin_a_only_from_6_to_59_months_by_the_age_on_the_day() -> None:
    """Juknis ILP 2023: blue capsule at 6-11 months, red at 12-59 months; none outside."""
    assert check_vitamin_a(BIRTH, dt.date(2024, 7, 9), []) is not None  # 5 months 30 days
    assert check_vitamin_a(BIRTH, dt.date(2024, 7, 10), []) is None  # 6 months
    refused = check_vitamin_a(BIRTH, dt.date(2029, 1, 10), [])  # 60 months
    assert refused is not None and refused.code == "vita_age" and refused.overrides == ()


def test_a_second_capsule_in_a_round_only_in_a_measles_outbreak_or_a_disaster() -> None:
    """Juknis ILP 2023: "Suplementasi vitamin A juga diberikan pada KLB campak dan situasi bencana"."""
    feb = capsule("red", dt.date(2025, 2, 11))
    second = check_vitamin_a(BIRTH, dt.date(2025, 3, 4), [feb])
    assert second is not None and second.code == "vita_round"
    assert set(second.overrides) == {Override.MEASLES_OUTBREAK, Override.DISASTER}
    assert check_vitamin_a(BIRTH, dt.date(2025, 3, 4), [feb], override=Override.MEASLES_OUTBREAK) is None
    assert check_vitamin_a(BIRTH, dt.date(2025, 3, 4), [feb], override=Override.GRACE) is not None
    assert check_vitamin_a(BIRTH, dt.date(2025, 8, 12), [feb]) is None  # the next round
    assert half_year(dt.date(2023, 10, 10)) == (2023, 2)  # 2023's moved round (October) is the August round


def test_the_blue_capsule_is_given_once() -> None:
    """WHO 2011 vitamin A guideline (6-11 months: a single dose); Ditgizi 2005 "hanya satu kali"."""
    baby = dt.date(2024, 8, 20)
    feb = capsule("blue", dt.date(2025, 2, 20))  # 6 months
    again = check_vitamin_a(baby, dt.date(2025, 8, 12), [feb])  # 11 months, the next round
    assert again is not None and again.code == "vita_blue_once"


# ------------------------------------------------------------------ deworming


def test_deworming_dose_by_age() -> None:
    """Albendazole at the posyandu: ½ tablet (200 mg) at 12-23 months, 1 tablet (400 mg) from 24 months; 12-59
    months only (Juknis ILP 2023; the Permenkes 15/2017 programme as taught to posyandu)."""
    assert deworming_dose(BIRTH, dt.date(2025, 1, 9)) is None
    assert deworming_dose(BIRTH, dt.date(2025, 1, 10)) is Tablet.HALF
    assert deworming_dose(BIRTH, dt.date(2026, 1, 9)) is Tablet.HALF
    assert deworming_dose(BIRTH, dt.date(2026, 1, 10)) is Tablet.WHOLE
    assert deworming_dose(BIRTH, dt.date(2029, 1, 10)) is None


def test_deworming_once_per_round() -> None:
    first = Given(ServiceKind.DEWORMING, "whole", dt.date(2026, 8, 4))
    again = check_deworming(BIRTH, dt.date(2026, 9, 1), [first])
    assert again is not None and again.code == "worm_round" and again.overrides == ()
    assert check_deworming(BIRTH, dt.date(2027, 2, 2), [first]) is None


# ------------------------------------------------------------------ PMT


def test_a_delivery_only_to_an_enrolled_child_within_the_program() -> None:
    program = (7, dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    outside = check_delivery(dt.date(2025, 8, 5), Enrolment(*program, enrolled_on=None), [])
    assert outside is not None and outside.code == "not_enrolled" and outside.overrides == ()
    enrolled = Enrolment(*program, enrolled_on=dt.date(2025, 7, 15))
    assert check_delivery(dt.date(2025, 7, 15), enrolled, []) is None
    before = check_delivery(dt.date(2025, 7, 14), enrolled, [])
    assert before is not None and before.code == "before_enrolment"
    late = check_delivery(dt.date(2025, 10, 1), enrolled, [])
    assert late is not None and late.code == "outside_program"
    twice = check_delivery(dt.date(2025, 8, 5), enrolled, [Given(ServiceKind.PMT, "lokal", dt.date(2025, 8, 5), 7)])
    assert twice is not None and twice.code == "same_day"
    left = Enrolment(*program, enrolled_on=dt.date(2025, 7, 15), left_on=dt.date(2025, 8, 1))
    assert check_delivery(dt.date(2025, 8, 5), left, []) is not None


def test_pmt_lokal_days_follow_the_2023_juknis() -> None:
    """Kemenkes Juknis PMT lokal 2023 (training slides): wasted 4-8 weeks (56 days taken), underweight 28 days, weight
    not going up 14 days; the longest that applies; none for a child with none of these problems."""
    assert planned_pmt_days(wasted=True, underweight=True, faltering=True) == 56
    assert planned_pmt_days(wasted=False, underweight=True, faltering=True) == 28
    assert planned_pmt_days(wasted=False, underweight=False, faltering=True) == 14
    assert planned_pmt_days(wasted=False, underweight=False, faltering=False) is None


# ------------------------------------------------------------------ what is due


def test_overdue_doses_are_offered_only_where_the_record_is_kept() -> None:
    """A child of 4 months 10 days never recorded here: only what fell due within a month is offered; once a dose is
    recorded, the late ones are offered too (catch-up within their limits), each vaccine from its first missing
    dose."""
    on = dt.date(2024, 5, 20)
    offered = {o.code for o in immunisation_offers(BIRTH, on, [])}
    assert offered == {"DPT3", "OPV4", "IPV1", "RV3"}
    known = [shot("HB0", BIRTH)]
    late = {o.code for o in immunisation_offers(BIRTH, on, known) if o.overdue}
    assert {"BCG", "OPV1", "DPT1", "RV1", "PCV1"} <= late
    assert not any(o.code in ("RV2", "RV3", "DPT2") for o in immunisation_offers(BIRTH, on, known))


def test_vitamin_a_and_deworming_are_offered_in_their_round_months() -> None:
    on = dt.date(2026, 8, 11)  # 31 months
    codes = {(o.kind, o.code) for o in offers_on(BIRTH, on, [], vitamin_a_round=True, deworming_round=True)}
    assert {(ServiceKind.VITAMIN_A, "red"), (ServiceKind.DEWORMING, "whole")} <= codes
    none = offers_on(BIRTH, on, [], vitamin_a_round=False, deworming_round=False)
    assert not any(o.kind in (ServiceKind.VITAMIN_A, ServiceKind.DEWORMING) for o in none)


@pytest.mark.parametrize(("given", "expected"), [
    ([shot("HB0", BIRTH)], KiaState.MISSED), ([], KiaState.UNRECORDED)])
def test_a_dose_past_its_limit_is_missed_only_where_the_record_is_kept(given: list[Given],
                                                                       expected: KiaState) -> None:
    rows = {r.dose.code: r for r in kia_rows(BIRTH, dt.date(2025, 3, 1), given)}
    assert rows["RV1"].state is expected
