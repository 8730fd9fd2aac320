"""Clear answers to bad input in the cadre journey (what is wrong, and how to type it instead)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from bot.growth.age import age_text
from bot.i18n import Translator

FIELD_EXAMPLE = {"weight_kg": "10,5", "length_cm": "82,5", "muac_cm": "13,5", "head_cm": "46"}


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
    example = FIELD_EXAMPLE.get(key, "10,5")
    what = field_name(tr, field)
    if code == "number_word":
        return tr.gettext("Please write {what} in digits, not in words: for example {example}.").format(
            what=what, example=example)
    if code == "out_of_range":
        unit = "kg" if key == "weight_kg" else "cm"
        return tr.gettext("{value} {unit} is outside what a child under five can measure ({low}–{high} {unit}). "
                          "Please type {what} again, for example {example}.").format(
            value=tr.decimal(params["value"], 1), unit=unit, low=tr.decimal(params["low"], 1),
            high=tr.decimal(params["high"], 0), what=what, example=example)
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
    return tr.gettext("“{text}” is not a number. Please type {what} in digits, for example {example} "
                      "(a unit such as kg or cm is fine).").format(text=_quote(text), what=what, example=example)


def date_issue(tr: Translator, code: str, *, birth_date: dt.date | None = None, age_days: int | None = None,
               text: str = "") -> str:
    if code == "date_future":
        return tr.gettext("That date is in the future. Please type the day the child was measured, "
                          "for example 3/12, or press a button.")
    if code == "before_birth":
        return tr.gettext("The child was born on {birth}: the measurement date cannot be before the birth date. "
                          "Please check the date.").format(birth=tr.date(birth_date) if birth_date else "?")
    if code == "over_five":
        return over_five(tr, age_days or 0)
    return tr.gettext("I could not read the date “{text}”. Type it like 3/12/2024 or 3 Des, or press a button."
                      ).format(text=_quote(text))


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
    }
    what = field_name(tr, field)
    text = messages.get(code, messages["unknown_word"]).format(token=_quote(token), what=what.capitalize())
    return f"{text}\n{example}"
