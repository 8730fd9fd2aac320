"""The national immunisation schedule as data, its catch-up limits, and the vitamin A capsule by age.

Sources (docs/clinical-rules.md §7): KMK HK.01.07/MENKES/2015/2023 (Juknis ILP, imunisasi rutin); Surat Dirjen P2P
IM.02.02/C/3052/2023 (rotavirus: 2, 3, 4 months, last dose by 6 months 29 days); KMK HK.01.07/MENKES/1453/2022 and
the Dirjen P2P letter of 31 May 2023 (IPV2 at 9 months with MR, catch-up to 59 months); Kemenkes PCV material 2022
(PCV until 24 months); Juknis ILP 2023 and Permenkes 21/2015 (vitamin A: blue 6-11, red 12-59 months).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import pytest

from bot.growth import immunisation as im
from tests.growth.conftest import ROOT

BORN = dt.date(2024, 1, 15)


def test_the_schedule_has_every_national_dose_at_its_age() -> None:
    """Juknis ILP 2023: 2 months DPT-HB-Hib 1, OPV2, PCV1, RV1; 3 months ...2, RV2; 4 months ...3, IPV1, RV3;
    9 months MR1, IPV2; 12 months PCV3; 18 months DPT-HB-Hib 4, MR2."""
    at = {m: {d.code for d in im.doses_due_at(m)} for m in im.reminder_months()}
    assert at == {1: {"BCG", "OPV1"}, 2: {"DPT1", "OPV2", "PCV1", "RV1"}, 3: {"DPT2", "OPV3", "PCV2", "RV2"},
                  4: {"DPT3", "OPV4", "IPV1", "RV3"}, 9: {"MR1", "IPV2"}, 12: {"PCV3"}, 18: {"DPT4", "MR2"}}
    assert im.BY_CODE["JE"].regional and im.BY_CODE["HB0"].at_facility


@pytest.mark.parametrize(("code", "last"), [
    ("RV1", dt.date(2024, 8, 13)),  # 15 July (6 months) + 29 days: "usia 6 bulan 29 hari"
    ("RV3", dt.date(2024, 8, 13)),
    ("BCG", dt.date(2025, 1, 14)),  # before the first birthday
    ("PCV1", dt.date(2026, 1, 14)),  # before 24 months
    ("PCV3", dt.date(2026, 1, 14)),
    ("IPV2", dt.date(2029, 1, 14)),  # catch-up until 59 months
    ("MR2", dt.date(2029, 1, 14)),
])
def test_catch_up_limits(code: str, last: dt.date) -> None:
    assert im.last_date(im.BY_CODE[code], BORN) == last


def test_dose_states_through_a_childhood() -> None:
    """Not yet -> due -> overdue (a month late, still allowed) -> missed (past its limit); a record stops it."""
    def state(on: dt.date, given: tuple[str, ...] = ()) -> im.DoseState:
        return next(s.state for s in im.dose_states(BORN, on, given) if s.dose.code == "RV1")

    assert state(dt.date(2024, 3, 14)) is im.DoseState.NOT_YET
    assert state(dt.date(2024, 3, 15)) is im.DoseState.DUE
    assert state(dt.date(2024, 4, 15)) is im.DoseState.OVERDUE
    assert state(dt.date(2024, 8, 13)) is im.DoseState.OVERDUE
    assert state(dt.date(2024, 8, 14)) is im.DoseState.MISSED
    assert state(dt.date(2024, 4, 15), ("RV1",)) is im.DoseState.GIVEN


@pytest.mark.parametrize(("session_day", "capsule"), [
    (dt.date(2024, 7, 14), None),  # 5 months 29 days: not yet
    (dt.date(2024, 7, 15), im.Capsule.BLUE),  # 6 months on the session day
    (dt.date(2025, 1, 14), im.Capsule.BLUE),  # 11 months 30 days
    (dt.date(2025, 1, 15), im.Capsule.RED),  # 12 months
    (dt.date(2029, 1, 14), im.Capsule.RED),  # 59 months
    (dt.date(2029, 1, 15), None),  # 5 years
])
def test_vitamin_a_capsule_by_age_on_the_session_day(session_day: dt.date, capsule: im.Capsule | None) -> None:
    """Juknis ILP 2023: blue (100.000 IU) at 6-11 months, red (200.000 IU) at 12-59 months; the child's age on the
    day of the session decides."""
    assert im.vitamin_a_capsule(BORN, session_day) is capsule


_NAMES = {"HB0": "HB0", "BCG": "BCG", "OPV": "polio", "DPT-HB-Hib": "DPT-HB-Hib", "PCV": "PCV", "RV": "rotavirus",
          "IPV": "IPV", "MR": "MR", "JE": "JE"}


def test_the_faq_tells_the_same_schedule() -> None:
    """Reminders, FAQ and tips tell one schedule: every dose is on the FAQ's line for its month."""
    faq = tomllib.loads((ROOT / "content" / "faq.toml").read_text(encoding="utf-8"))["faq"]
    answer = next(f for f in faq if f["id"] == "immunisation_schedule")
    for lang, month_word in (("a_id", "bulan"), ("a_en", "month")):
        lines = {int(m.group(1)): m.group(2) for m in re.finditer(rf"• (\d+) {month_word}s?[^:]*: (.*)", answer[lang])}
        for dose in im.SCHEDULE:
            line = lines.get(dose.due_months, "")
            assert _NAMES[dose.antigen] in line, (lang, dose.code, line)
            if dose.antigen in ("OPV", "DPT-HB-Hib", "PCV", "RV", "IPV") or (dose.antigen == "MR" and dose.number > 1):
                assert re.search(rf"{re.escape(_NAMES[dose.antigen])}[^,]*\b{dose.number}\b", line), (lang, dose.code)
