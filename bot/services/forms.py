"""A small form engine for the case and family records: one question at a time, typed answers or buttons, every
answer checked before the next question, a summary before saving.

A form session is a plain dict (kept in the user's `user_data` by handlers/case_forms.py, so a restart resumes
it): the form's key, its target (a case or a woman), the index of the question, the answers so far and the
context the checks need (her HPHT, the day the case opened ...). The forms themselves are in
bot.services.form_specs; this module knows nothing of cases or women.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.growth.maternal import MaternalInputError
from bot.i18n import N_, ParseError, Translator, parse_date, parse_decimal

MAX_NOTE = 300
MAX_NAME = 80

Session = dict[str, Any]


class Kind(StrEnum):
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"
    TEXT = "text"
    CHOICE = "choice"
    CHECKS = "checks"
    BORN = "born"  # a woman's date of birth, or her age in years


class FormError(ValueError):
    """An answer that cannot be taken; `text` is the message for the user (already translated)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# A field's own check: (value, context, today) -> value (raises MaternalInputError or FormError).
Check = Callable[[Any, Mapping[str, Any], dt.date], Any]


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    prompt: str  # msgid of the question
    label: str  # msgid of the short name in the summary
    optional: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label msgid)
    choices_from: str | None = None  # the context key holding [(value, label already in words)]
    when: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None  # (answers, context) -> ask it?
    check: Check | None = None
    limit: int = MAX_NOTE


@dataclass(frozen=True)
class Form:
    key: str
    title: str  # msgid
    fields: tuple[Field, ...]
    # A check of the answers together, run when the last question is answered (raises FormError / Maternal...).
    final: Callable[[Mapping[str, Any], Mapping[str, Any]], None] | None = None


@dataclass(frozen=True)
class Prompt:
    """What to ask now, in words: the handler only turns it into a message with buttons."""

    text: str
    kind: Kind
    optional: bool
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    checks: list[tuple[int, str, bool]] = field(default_factory=list)  # (index, label, ticked)
    first: bool = False


def new_session(form: Form, target: int, context: Mapping[str, Any]) -> Session:
    return {"form": form.key, "target": target, "i": -1, "answers": {}, "ticked": [], "ctx": dict(context),
            "done": False}


def _asked(form: Form, session: Session, f: Field) -> bool:
    return f.when is None or f.when(session["answers"], session["ctx"])


def choices_of(f: Field, session: Session, tr: Translator) -> list[tuple[str, str]]:
    if f.choices_from is not None:
        return [(str(v), str(label)) for v, label in session["ctx"].get(f.choices_from, [])]
    return [(v, tr.gettext(label)) for v, label in f.choices]


def advance(form: Form, session: Session) -> Field | None:
    """Move to the next question that is asked (a choice with one option answers itself); None: all answered."""
    i = int(session["i"]) + 1
    while i < len(form.fields):
        f = form.fields[i]
        if _asked(form, session, f):
            options = session["ctx"].get(f.choices_from, []) if f.choices_from else None
            if options is not None and len(options) == 1:
                session["answers"][f.key] = str(options[0][0])
            else:
                session["i"] = i
                session["ticked"] = []
                return f
        i += 1
    session["i"] = len(form.fields)
    session["done"] = True
    return None


def current(form: Form, session: Session) -> Field | None:
    i = int(session["i"])
    return form.fields[i] if 0 <= i < len(form.fields) else None


def back(form: Form, session: Session) -> bool:
    """One question back (its answer is asked again); False at the first question."""
    i = int(session["i"]) - 1
    while i >= 0:
        f = form.fields[i]
        options = session["ctx"].get(f.choices_from, []) if f.choices_from else None
        if _asked(form, session, f) and not (options is not None and len(options) == 1):
            session["answers"].pop(f.key, None)
            session["i"], session["done"], session["ticked"] = i, False, []
            return True
        i -= 1
    return False


def prompt(form: Form, session: Session, tr: Translator) -> Prompt:
    f = current(form, session)
    assert f is not None
    lines = [f"<b>{tr.gettext(form.title)}</b> · {session['ctx'].get('subject', '')}", tr.gettext(f.prompt)]
    if f.optional:
        lines.append(tr.gettext("(optional: press Skip)"))
    first = not any(_asked(form, session, g) for g in form.fields[: int(session["i"])])
    checks = [(n, tr.gettext(label), value in session["ticked"]) for n, (value, label) in enumerate(f.choices)] \
        if f.kind is Kind.CHECKS else []
    return Prompt("\n".join(lines), f.kind, f.optional, choices_of(f, session, tr), checks, first)


# ------------------------------------------------------------------ answers


def _parse(f: Field, text: str, tr: Translator, today: dt.date) -> Any:
    s = " ".join(text.split())
    if not s:
        raise FormError(tr.gettext("I did not get an answer. Please type it again."))
    if f.kind is Kind.DATE:
        try:
            return parse_date(s, today)
        except ParseError:
            raise FormError(tr.gettext("I could not read that date. Type it like 3/12/2024 or 3 Des 2024, or "
                                       "press a button.")) from None
    if f.kind is Kind.BORN:
        if s.split()[0].isdigit() and len(s.split()) <= 2 and len(s.split()[0]) <= 2:
            age = int(s.split()[0])
            return _years_before(today, age)
        try:
            return parse_date(s, today)
        except ParseError:
            raise FormError(tr.gettext("Type her date of birth (for example 15/3/1998) or her age in years "
                                       "(for example 25).")) from None
    if f.kind in (Kind.NUMBER, Kind.INTEGER):
        try:
            value = parse_decimal(s)
        except ParseError:
            raise FormError(tr.gettext("Please type a number, for example 23,5.")) from None
        if f.kind is Kind.INTEGER:
            if value != value.to_integral_value():
                raise FormError(tr.gettext("Please type a whole number, for example 30."))
            return int(value)
        return value
    if f.kind is Kind.TEXT:
        if len(s) > f.limit:
            raise FormError(tr.gettext("That is too long: at most {n} characters, please.").format(n=f.limit))
        return s
    raise FormError(tr.gettext("Please press one of the buttons above, or type /batal to cancel."))


def _years_before(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _store(f: Field, value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _checked(f: Field, value: Any, session: Session, today: dt.date, tr: Translator) -> Any:
    if f.check is None:
        return value
    try:
        return f.check(value, session["ctx"], today)
    except MaternalInputError as exc:
        raise FormError(maternal_message(exc, tr)) from None


def answer_text(form: Form, session: Session, text: str, tr: Translator, today: dt.date) -> Field | None:
    """Take a typed answer for the current question; the next question (None: all answered)."""
    f = current(form, session)
    assert f is not None
    if f.kind is Kind.CHOICE:
        wanted = " ".join(text.split()).casefold()
        found = [v for v, label in choices_of(f, session, tr) if wanted in (v.casefold(), label.casefold())]
        if len(found) != 1:
            raise FormError(tr.gettext("Please press one of the buttons above, or type /batal to cancel."))
        return answer_choice(form, session, found[0], tr, today)
    if f.kind is Kind.CHECKS:
        raise FormError(tr.gettext("Tick what was done with the buttons, then press ✅ Done."))
    value = _checked(f, _parse(f, text, tr, today), session, today, tr)
    session["answers"][f.key] = _store(f, value)
    return _next(form, session, tr)


def answer_choice(form: Form, session: Session, value: str, tr: Translator, today: dt.date) -> Field | None:
    f = current(form, session)
    if f is None or f.kind is not Kind.CHOICE or value not in {v for v, _ in choices_of(f, session, tr)}:
        raise FormError(tr.gettext("This button is no longer active."))
    session["answers"][f.key] = _checked(f, value, session, today, tr)
    return _next(form, session, tr)


def answer_day(form: Form, session: Session, days_back: int, tr: Translator, today: dt.date) -> Field | None:
    """[Today] / [Yesterday] under a date question."""
    f = current(form, session)
    if f is None or f.kind is not Kind.DATE:
        raise FormError(tr.gettext("This button is no longer active."))
    value = _checked(f, today - dt.timedelta(days=days_back), session, today, tr)
    session["answers"][f.key] = _store(f, value)
    return _next(form, session, tr)


def toggle(form: Form, session: Session, index: int) -> bool:
    f = current(form, session)
    if f is None or f.kind is not Kind.CHECKS or not 0 <= index < len(f.choices):
        return False
    value = f.choices[index][0]
    ticked: list[str] = session["ticked"]
    if value in ticked:
        ticked.remove(value)
    else:
        ticked.append(value)
    return True


def checks_done(form: Form, session: Session, tr: Translator) -> Field | None:
    f = current(form, session)
    if f is None or f.kind is not Kind.CHECKS:
        raise FormError(tr.gettext("This button is no longer active."))
    order = [v for v, _ in f.choices]
    session["answers"][f.key] = sorted(session["ticked"], key=order.index)
    return _next(form, session, tr)


def skip(form: Form, session: Session, tr: Translator) -> Field | None:
    f = current(form, session)
    if f is None or not f.optional:
        raise FormError(tr.gettext("This question needs an answer."))
    session["answers"].pop(f.key, None)
    return _next(form, session, tr)


def _next(form: Form, session: Session, tr: Translator) -> Field | None:
    nxt = advance(form, session)
    if nxt is None and form.final is not None:
        try:
            form.final(session["answers"], session["ctx"])
        except MaternalInputError as exc:
            _step_back(form, session)
            raise FormError(maternal_message(exc, tr)) from None
        except FormError:
            _step_back(form, session)
            raise
    return nxt


def _step_back(form: Form, session: Session) -> None:
    back(form, session)


def summary(form: Form, session: Session, tr: Translator, fmt: Callable[[Field, Any], str]) -> str:
    lines = [f"<b>{tr.gettext(form.title)}</b> · {session['ctx'].get('subject', '')}"]
    for f in form.fields:
        if f.key in session["answers"] and _asked(form, session, f):
            lines.append(f"• {tr.gettext(f.label)}: {fmt(f, session['answers'][f.key])}")
    return "\n".join(lines)


# ------------------------------------------------------------------ messages of the maternal checks

_MATERNAL: dict[str, str] = {
    "muac_impossible": N_("A MUAC of {value} cm is not possible for a woman. Measure again and type it, for "
                          "example 23,5."),
    "hb_impossible": N_("An Hb of {value} g/dL is not possible. Check the lab result and type it, for example 11,2."),
    "birth_weight_impossible": N_("A birth weight of {value} kg is not possible. Type it in kilograms, for example "
                                  "3,1."),
    "birth_length_impossible": N_("A birth length of {value} cm is not possible. Type it in centimetres, for "
                                  "example 49."),
    "woman_age_impossible": N_("That makes her {age} years old. Type her date of birth (for example 15/3/1998) or "
                               "her age (for example 25)."),
    "lmp_future": N_("The first day of the last period (HPHT) cannot be in the future. Type the date, for example "
                     "3/5/2024."),
    "lmp_too_old": N_("That HPHT is {weeks} weeks ago: a pregnancy does not last that long (at most {limit} weeks). "
                      "Check the date; if she has given birth, register her as a mother after birth."),
    "date_future": N_("That date is in the future. Type the day it happened, for example 3/12/2024, or press a "
                      "button."),
    "before_lmp": N_("That date is before her HPHT ({lmp}). Please check the date."),
    "after_due": N_("That date is more than {weeks} weeks after her HPHT (due date {due}): a pregnancy does not last "
                    "that long. If she has given birth, record the birth."),
    "birth_too_early": N_("At {weeks} weeks it is too early for a birth (before {limit} weeks it is a miscarriage). "
                          "Please check the date."),
    "before_birth": N_("That date is before the birth ({birth}). Please check the date."),
    "after_postnatal": N_("The postnatal period (nifas) ends {days} days after the birth, and that date is later. "
                          "Record it as a home visit instead."),
    "before_opened": N_("That date is before the case was opened ({opened}). Please check the date."),
    "nothing_measured": N_("Nothing was measured: type the MUAC or the Hb (or both)."),
    "ttd_impossible": N_("Type how many iron tablets (TTD) were handed over: a number from {low} to {high}."),
}


def maternal_message(exc: MaternalInputError, tr: Translator) -> str:
    params = {k: (tr.date(v) if isinstance(v, dt.date) else tr.measure(v) if isinstance(v, Decimal) else v)
              for k, v in exc.params.items()}
    template = _MATERNAL.get(exc.code)
    if template is None:
        return tr.gettext("That value cannot be right. Please check it and type it again.")
    return tr.gettext(template).format(**params)


__all__ = [
    "Field", "Form", "FormError", "Kind", "Prompt", "Session", "advance", "answer_choice", "answer_day",
    "answer_text", "back", "checks_done", "choices_of", "current", "maternal_message", "new_session", "prompt",
    "skip", "summary", "toggle",
]
