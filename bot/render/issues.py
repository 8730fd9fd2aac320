"""Clear answers to bad input in the cadre journey (what is wrong, and how to type it instead)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

from babel.dates import format_date, get_month_names

from bot.growth.age import age_text
from bot.growth.zscores import Problem
from bot.i18n import Translator, parse_date

# Example values per field, formatted in the user's language ("10,5" in Indonesian, "10.5" in English).
FIELD_EXAMPLE = {"weight_kg": Decimal("10.5"), "length_cm": Decimal("82.5"), "muac_cm": Decimal("13.5"),
                 "head_cm": Decimal("46")}
# Used when the caller does not pass today's date (an example without a year must not lie in the future).
_FALLBACK_EXAMPLE_DAY = dt.date(2024, 12, 3)
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2}|\d{4}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_WORD = re.compile(r"^\s*(\d{1,2})\s+([^\W\d_]+)\.?(?:\s+(\d{2}|\d{4}))?\s*$")


def field_example(tr: Translator, field: str) -> str:
    value = FIELD_EXAMPLE.get(field, Decimal("10.5"))
    return tr.decimal(value, 0 if value == value.to_integral_value() else 1)


def example_day(today: dt.date | None) -> dt.date:
    """A date to show as an example: yesterday, so that typing it as shown is always accepted."""
    return today - dt.timedelta(days=1) if today is not None else _FALLBACK_EXAMPLE_DAY


def short_example(day: dt.date) -> str:
    """`3/12`: day/month, the way a cadre types it (the same in every language)."""
    return f"{day.day}/{day.month}"


def day_month_year(tr: Translator, day: dt.date) -> str:
    """`3 Desember 2025` (no weekday: used in a question about the year)."""
    return format_date(day, "d MMMM y", locale=tr.lang)


def field_name(tr: Translator, field: str | None) -> str:
    names = {
        "weight_kg": tr.gettext("the weight"), "weight": tr.gettext("the weight"),
        "length_cm": tr.gettext("the length/height"), "length": tr.gettext("the length/height"),
        "muac_cm": tr.gettext("the upper-arm circumference"), "muac": tr.gettext("the upper-arm circumference"),
        "head_cm": tr.gettext("the head circumference"), "head": tr.gettext("the head circumference"),
        "date": tr.gettext("the date"), "position": tr.gettext("the position"),
    }
    return names.get(field or "", tr.gettext("the value"))


def _quote(text: object) -> str:
    s = " ".join(str(text).split())
    return html.escape(s if len(s) <= 30 else s[:29] + "…")


def number_issue(tr: Translator, code: str, params: dict[str, Any], field: str) -> str:
    """Why a typed number cannot be used, with an example of what to type."""
    key = field if field.endswith(("_kg", "_cm")) else {"weight": "weight_kg", "length": "length_cm",
                                                          "muac": "muac_cm", "head": "head_cm"}.get(field, field)
    example = field_example(tr, key)
    what = field_name(tr, field)
    if code == "number_word":
        return tr.gettext("Please write {what} in digits, not in words: for example {example}.").format(
            what=what, example=example)
    if code == "out_of_range":
        unit = "kg" if key == "weight_kg" else "cm"
        return tr.gettext("{value} {unit} is outside what a child under five can measure ({low}–{high} {unit}). "
                          "Please type {what} again, for example {example}.").format(
            value=shown_value(tr, params["value"]), unit=unit, low=shown_value(tr, params["low"]),
            high=shown_value(tr, params["high"]), what=what, example=example)
    if code == "too_long":
        return tr.gettext("That is too long for a number. Please type only {what}, for example {example}.").format(
            what=what, example=example)
    if code in ("no_digits", "empty"):
        return tr.gettext("I need a number. Please type {what} in digits, for example {example}.").format(
            what=what, example=example)
    if code == "not_positive":
        return tr.gettext("{what} must be more than 0. Please type it again, for example {example}.").format(
            what=what.capitalize(), example=example)
    text = params.get("text", "")
    if key == "weight_kg":
        return tr.gettext("“{text}” is not a number. Please type {what} in digits, for example {example} "
                          "(kg or g after the number is fine).").format(text=_quote(text), what=what,
                                                                        example=example)
    return tr.gettext("“{text}” is not a number. Please type {what} in digits, for example {example} "
                      "(cm after the number is fine).").format(text=_quote(text), what=what, example=example)


def date_issue(tr: Translator, code: str, *, birth_date: dt.date | None = None, age_days: int | None = None,
               text: str = "", today: dt.date | None = None) -> str:
    """Why a measurement date cannot be used. `today` makes the examples recent dates (never in the future)."""
    day = example_day(today)
    example = short_example(day)
    if code == "date_future":
        return tr.gettext("That date is in the future. Please type the day the child was measured, "
                          "for example {example}, or press a button.").format(example=example)
    if code == "before_birth":
        return tr.gettext("The child was born on {birth}: the measurement date cannot be before the birth date. "
                          "Please check the date.").format(birth=tr.date(birth_date) if birth_date else "?")
    if code == "over_five":
        return over_five(tr, age_days or 0)
    if code == "bad_date" and (impossible := _impossible_date(tr, text)):
        return tr.gettext("{date} does not exist. Please type the date again, for example {example}, or press a "
                          "button.").format(date=impossible, example=example)
    return tr.gettext("I could not read the date “{text}”. Type it like {full} or {short}, or press a button."
                      ).format(text=_quote(text), full=f"{day.day}/{day.month}/{day.year}",
                               short=format_date(day, "d MMM", locale=tr.lang))


def _impossible_date(tr: Translator, text: str) -> str | None:
    """`30/2/2025` -> "30 Februari", `29/2/2025` -> "29 Februari 2025": the day and month as the cadre meant them,
    to say that this date does not exist (None when the month itself is unreadable)."""
    day = month = 0
    year: str | None = None
    if m := _ISO.match(text):
        year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    elif m := _DAY_MONTH.match(text):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    elif m := _WORD.match(text):
        try:  # the month name in any language we read: parse it with a day that always exists
            month = parse_date(f"1 {m.group(2)}", dt.date(2000, 12, 31)).month
        except ValueError:
            return None
        day, year = int(m.group(1)), m.group(3)
    if not 1 <= month <= 12 or day < 1:
        return None
    name = get_month_names("wide", locale=tr.lang)[month]
    try:  # a day no year has ("30 Februari") is named without the year; 29 February needs it
        dt.date(2000, month, day)
    except ValueError:
        return f"{day} {name}"
    if year is not None:
        full_year = 2000 + int(year) if len(year) == 2 else int(year)
        return f"{day} {name} {full_year}"
    return f"{day} {name}"


def rolled_back_date(tr: Translator, typed: dt.date, meant: dt.date) -> str:
    """A date typed without a year that would be in the future: ask whether last year's is meant."""
    return tr.gettext("{typed} has not happened yet. Did you mean {meant}?").format(
        typed=day_month_year(tr, typed), meant=day_month_year(tr, meant))


def shown_value(tr: Translator, value: float | Decimal) -> str:
    """A value as typed: `105`, `10,5`, `8,05` (the same text in the warning and on its buttons)."""
    return tr.decimal(value, 0) if float(value).is_integer() else tr.measure(value)


_VALUE_FIELDS = ("weight_kg", "length_cm", "muac_cm", "head_cm")


def _field_name(tr: Translator, field: str) -> tuple[str, str]:
    names = {
        "weight_kg": (tr.gettext("Weight"), "kg"),
        "length_cm": (tr.gettext("Length/height"), "cm"),
        "muac_cm": (tr.gettext("Upper-arm circumference"), "cm"),
        "head_cm": (tr.gettext("Head circumference"), "cm"),
    }
    return names.get(field, (field, ""))


def describe_value(tr: Translator, problem: Problem, age_days: int, *, confirmable: bool) -> str:
    """"⚠️ Berat 105 kg tidak mungkin untuk anak 1 th 8 bln. Mungkin maksudnya 10,5 kg?" (unusual when the
    cadre may keep it, impossible otherwise). Shared by the step answers and the confirmation card."""
    name, unit = _field_name(tr, problem.field)
    shown = shown_value(tr, problem.value) if problem.value is not None else "?"
    age = age_text(age_days, tr)
    if confirmable:
        text = tr.gettext("⚠️ {name} {value} {unit} is unusual for a child of {age} — please check it again."
                          ).format(name=name, value=shown, unit=unit, age=age)
    else:
        text = tr.gettext("⚠️ {name} {value} {unit} is not possible for a child of {age}.").format(
            name=name, value=shown, unit=unit, age=age)
    if problem.suggestion is not None:
        text += "\n" + tr.gettext("Did you mean {value} {unit}?").format(
            value=shown_value(tr, problem.suggestion), unit=unit)
    return text


def value_warning(tr: Translator, problem: Problem, age_days: int, *, confirmable: bool) -> str | None:
    """A value that is implausible for the age. `confirmable`: the cadre may keep it ("Yes, … is right"), so it is
    called unusual, not impossible. None for problems this does not word (the caller uses the generic text)."""
    if problem.code != "implausible_for_age" or problem.field not in _VALUE_FIELDS:
        return None
    return describe_value(tr, problem, age_days, confirmable=confirmable)


def over_five(tr: Translator, age_days: int) -> str:
    return tr.gettext("The child is {age} old on that date. The WHO Child Growth Standards of Permenkes 2/2020 "
                      "cover children up to 60 months; from 5 years the WHO Reference 2007 (BMI-for-age) "
                      "applies, which this bot does not compute yet.").format(age=age_text(age_days, tr))


def quick_entry_issue(tr: Translator, code: str, token: str, field: str | None) -> str:
    """Answer to a `/catat` line that cannot be read, with the shape of a good one."""
    example = tr.gettext("For example: /catat A12 10,5 82 berbaring — or /catat A12 bb 10,5 tb 82 lila 13 tgl 3/12")
    messages = {
        "empty": tr.gettext("Write the child's code and the measurements after /catat."),
        "too_long": tr.gettext("That line is too long for a quick entry."),
        "bad_code": tr.gettext("“{token}” is not a child code. A code is a letter and a number, like A12."),
        "duplicate": tr.gettext("{what} is written twice (“{token}”)."),
        "missing_value": tr.gettext("{what} has no number after it."),
        "bad_date": tr.gettext("I could not read the date “{token}”."),
        "unit_without_number": tr.gettext("“{token}” has no number before it."),
        "not_a_number": tr.gettext("“{token}” is not a number for {what}."),
        "too_many_numbers": tr.gettext("“{token}”: which measure is it? Without a word in front, the first number "
                                       "is the weight and the second the length/height; write lila or lk "
                                       "before the others."),
        "number_word": tr.gettext("Please write numbers in digits, not in words (“{token}”)."),
        "unknown_word": tr.gettext("I don't know the word “{token}”."),
        "nothing_measured": tr.gettext("Write at least the weight or the length/height."),
        # services on the line (issue 14)
        "unknown_vaccine": tr.gettext("“{token}” is not a vaccine of the schedule. Write for example imun:campak, "
                                      "imun:bcg, imun:polio, imun:dpt, imun:pcv, imun:rota, imun:ipv or imun:mr2."),
        "bad_quantity": tr.gettext("“{token}”: write the days or packages of PMT as a number, for example pmt:7."),
    }
    what = field_name(tr, field)
    text = messages.get(code, messages["unknown_word"]).format(token=_quote(token), what=what.capitalize())
    return f"{text}\n{example}"
