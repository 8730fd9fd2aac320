"""The records people enter on cases and families, as forms (bot.services.forms): what each asks, what each
answer must satisfy, and what saving does (bot.services.cases, bot.services.families).

Case actions (target: a case): visit, referral, outcome (health workers), note, close (moved, died, lost).
Family records (target: a woman): check (LiLA, Hb, counselling), ANC visit, home visit, birth, postnatal visit,
a new pregnancy; and registering a woman (target 0).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.growth import maternal as mat
from bot.growth.case_rules import OUTCOME_LABELS, Action, CloseReason, Outcome
from bot.growth.maternal import MaternalInputError
from bot.i18n import N_, Translator
from bot.services import access
from bot.services import cases as case_svc
from bot.services import families as fam
from bot.services.case_view import reason_words
from bot.services.forms import Field, Form, Kind, Session, new_session
from bot.services.record_choices import (
    CLOSE_CHOICES,
    FAMILY_PLANNING,
    GROUPS,
    HOME_CHECKS,
    POSTNATAL_CHECKS,
    REFERRAL_PLACES,
    VISIT_CHECKS,
    YES_NO,
)
from storage import Repositories, Sex
from storage import case_queries as cq
from storage import family_queries as fq
from storage.values import normalise_child_code

# ------------------------------------------------------------------ checks of single answers (pure)


def _d(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _not_future(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    if value > today:
        raise MaternalInputError("date_future")
    return value


def _case_day(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    _not_future(value, ctx, today)
    opened = _d(ctx["opened"])
    if value < opened - dt.timedelta(days=1):
        raise MaternalInputError("before_opened", opened=opened)
    return value


def _woman_day(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    """A check or home visit: during a pregnancy it must fit the pregnancy's dates."""
    lmp = ctx.get("lmp")
    if lmp and value >= _d(lmp):
        return mat.check_pregnancy_date(value, _d(lmp), today)
    return _not_future(value, ctx, today)


def _anc_day(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    return mat.check_pregnancy_date(value, _d(ctx["lmp"]), today)


def _postnatal_day(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    mat.check_postnatal(value, _d(ctx["birth"]), today)
    return value


def _birth_day(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    return mat.check_birth(value, _d(ctx["lmp"]) if ctx.get("lmp") else None, today)


def _lmp(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    return mat.check_lmp(value, today)


def _recent_birth(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    return mat.check_recent_birth(value, today)


def _born(value: dt.date, ctx: Mapping[str, Any], today: dt.date) -> dt.date:
    return mat.check_woman_birth_date(value, today)


def _muac(value: Decimal, ctx: Mapping[str, Any], today: dt.date) -> Decimal:
    return mat.check_muac(value)


def _hb(value: Decimal, ctx: Mapping[str, Any], today: dt.date) -> Decimal:
    return mat.check_hb(value)


def _ttd(value: int, ctx: Mapping[str, Any], today: dt.date) -> int:
    if not mat.TTD_RANGE[0] <= value <= mat.TTD_RANGE[1]:
        raise MaternalInputError("ttd_impossible", low=mat.TTD_RANGE[0], high=mat.TTD_RANGE[1])
    return value


def _weight(value: Decimal, ctx: Mapping[str, Any], today: dt.date) -> Decimal:
    return mat.check_birth_weight(value)


def _length(value: Decimal, ctx: Mapping[str, Any], today: dt.date) -> Decimal:
    return mat.check_birth_length(value)


def _something_measured(answers: Mapping[str, Any], ctx: Mapping[str, Any]) -> None:
    if answers.get("muac") is None and answers.get("hb") is None:
        raise MaternalInputError("nothing_measured")


# ------------------------------------------------------------------ the forms

_DATE = N_("When? Press a button or type the date (for example 3/12/2024).")
_NOTE = Field("note", Kind.TEXT, N_("A short note? (what you saw, what was agreed)"), N_("Note"), optional=True)


def _day(check: Any, prompt: str = _DATE) -> Field:
    return Field("on", Kind.DATE, prompt, N_("Date"), check=check)


FORMS: dict[str, Form] = {f.key: f for f in (
    Form("visit", N_("Home visit"), (_day(_case_day), Field("checks", Kind.CHECKS, N_(
        "What was done? Tick, then press ✅ Done."), N_("Done"), choices=VISIT_CHECKS), _NOTE)),
    Form("referral", N_("Referral"), (_day(_case_day), Field("place", Kind.CHOICE, N_("Referred to where?"),
                                                             N_("To"), choices=REFERRAL_PLACES), _NOTE)),
    Form("outcome", N_("Puskesmas outcome"), (_day(_case_day, N_("When was the child examined?")), Field(
        "outcome", Kind.CHOICE, N_("What did the puskesmas find?"), N_("Outcome"),
        choices=tuple((o.value, label) for o, label in OUTCOME_LABELS.items())), _NOTE)),
    Form("note", N_("Note"), (Field("note", Kind.TEXT, N_("Type the note."), N_("Note")),)),
    Form("close", N_("Close the case"), (Field("why", Kind.CHOICE, N_("Why does the case close?"), N_("Reason"),
                                               choices=CLOSE_CHOICES), _day(_case_day), _NOTE)),
    Form("check", N_("Check"), (
        _day(_woman_day),
        Field("muac", Kind.NUMBER, N_("MUAC (LiLA) in cm? For example 23,5."), N_("MUAC"), optional=True,
              check=_muac),
        Field("hb", Kind.NUMBER, N_("Hb in g/dL (from the lab)? For example 11,2."), N_("Hb"), optional=True,
              check=_hb),
        Field("counselling", Kind.CHOICE, N_("Was pre-marriage counselling given?"), N_("Counselling"),
              choices=YES_NO, when=lambda a, c: bool(c.get("catin"))),
        _NOTE), final=_something_measured),
    Form("anc", N_("ANC visit"), (
        _day(_anc_day), Field("doctor", Kind.CHOICE, N_("Was she seen by a doctor (K1, K5)?"), N_("By a doctor"),
                              choices=YES_NO),
        Field("muac", Kind.NUMBER, N_("MUAC (LiLA) in cm? For example 23,5."), N_("MUAC"), optional=True,
              check=_muac),
        Field("hb", Kind.NUMBER, N_("Hb in g/dL (from the lab)? For example 11,2."), N_("Hb"), optional=True,
              check=_hb),
        Field("ttd", Kind.INTEGER, N_("How many iron tablets (TTD) did she get? For example 30."), N_("TTD"),
              optional=True, check=_ttd),
        _NOTE)),
    Form("home", N_("Home visit"), (_day(_woman_day), Field(
        "checks", Kind.CHECKS, N_("What was done? Tick, then press ✅ Done."), N_("Done"), choices=()), _NOTE)),
    Form("birth", N_("Birth"), (
        _day(_birth_day, N_("When was the baby born?")),
        Field("sex", Kind.CHOICE, N_("Boy or girl?"), N_("Sex"), choices=(("M", N_("L — boy")),
                                                                          ("F", N_("P — girl")))),
        Field("weight", Kind.NUMBER, N_("Birth weight in kg? For example 3,1."), N_("Birth weight"), check=_weight),
        Field("length", Kind.NUMBER, N_("Birth length in cm? For example 49."), N_("Birth length"), check=_length),
        Field("baby", Kind.TEXT, N_("The baby's name, or the child code if the cadre already registered the baby "
                                    "(for example A12)? Skip: “Bayi Ny. …”."), N_("Baby"), optional=True,
              limit=80))),
    Form("postnatal", N_("Postnatal visit (KF)"), (
        _day(_postnatal_day),
        Field("kb", Kind.CHOICE, N_("Family planning chosen?"), N_("Family planning"), choices=FAMILY_PLANNING),
        Field("checks", Kind.CHECKS, N_("What was done? Tick, then press ✅ Done."), N_("Done"),
              choices=POSTNATAL_CHECKS),
        _NOTE)),
    Form("pregnancy", N_("New pregnancy"), (Field("lmp", Kind.DATE, N_(
        "First day of her last period (HPHT)? For example 3/5/2024."), N_("HPHT"), check=_lmp),)),
    Form("woman", N_("Register a woman"), (
        Field("name", Kind.TEXT, N_("Her full name?"), N_("Name"), limit=80),
        Field("born", Kind.BORN, N_("Her date of birth (for example 15/3/1998) or her age (for example 25)?"),
              N_("Born"), check=_born),
        Field("posyandu", Kind.CHOICE, N_("Which posyandu is she near?"), N_("Posyandu"), choices_from="posyandu"),
        Field("group", Kind.CHOICE, N_("Which group?"), N_("Group"), choices=GROUPS),
        Field("lmp", Kind.DATE, N_("First day of her last period (HPHT)? For example 3/5/2024."), N_("HPHT"),
              check=_lmp, when=lambda a, c: a.get("group") == fam.PREGNANT),
        Field("delivered", Kind.DATE, N_("When did she give birth?"), N_("Birth"), check=_recent_birth,
              when=lambda a, c: a.get("group") == fam.POSTPARTUM))),
)}
CASE_FORMS = frozenset({"visit", "referral", "outcome", "note", "close"})
FAMILY_FORMS = frozenset({"check", "anc", "home", "birth", "postnatal", "pregnancy"})
REGISTER = "woman"
_ACTIONS = {"visit": Action.VISIT, "referral": Action.REFERRAL, "outcome": Action.OUTCOME, "note": Action.NOTE,
            "close": Action.CLOSE}


def form_of(session: Session) -> Form:
    """The form of a session; the home visit's checklist depends on her group (kept in the context)."""
    form = FORMS[str(session["form"])]
    # A home visit of a woman (her record, or her case) ticks the checklist of her group.
    if form.key == "home" or (form.key == "visit" and session["ctx"].get("woman")):
        items = HOME_CHECKS.get(str(session["ctx"].get("group")), HOME_CHECKS["other"])
        fields = tuple(Field(f.key, f.kind, f.prompt, f.label, f.optional, items) if f.key == "checks" else f
                       for f in form.fields)
        return Form(form.key, form.title, fields, form.final)
    return form


class FormRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ------------------------------------------------------------------ starting a form


async def begin(repos: Repositories, p: access.Principal, key: str, target: int, today: dt.date,
                tr: Translator) -> Session:
    """A new session of form `key` on `target`, or FormRefused (gone, closed, not allowed, not her group)."""
    if key in CASE_FORMS:
        case = await cq.get_case(repos.db, target)
        if case is None or not await case_svc.may_view(repos, p, case):
            raise FormRefused("not_found")
        if _ACTIONS[key] not in await case_svc.allowed_actions(repos, p, case):
            raise FormRefused("closed" if not case.is_open else "not_allowed")
        subject = await subject_of_case(repos, case)
        opened = case.opened_at.astimezone(case_svc.DEFAULT_TZ).date()
        ctx: dict[str, Any] = {"subject": subject, "opened": opened.isoformat()}
        if case.woman_id is not None:
            view = await fam.woman_view(repos, p, case.woman_id, today)
            ctx.update(woman=True, group=view.group if view else None)
        return new_session(FORMS[key], target, ctx)
    if key in FAMILY_FORMS:
        view = await fam.woman_view(repos, p, target, today)
        if view is None:
            raise FormRefused("not_found")
        if key not in view.forms():
            raise FormRefused("not_allowed")
        pregnancy, birth = view.pregnancy, view.birth
        return new_session(FORMS[key], target, {
            "subject": html.escape(view.woman.name), "group": view.group, "catin": view.woman.catin,
            "lmp": pregnancy.lmp.isoformat() if pregnancy and pregnancy.lmp else None,
            "birth": birth.ended_on.isoformat() if birth and birth.ended_on else None})
    if key == REGISTER:
        ids = await access.case_posyandu_ids(repos, p)
        places = await (repos.posyandu.list_all() if ids is None else repos.posyandu.get_many(ids))
        allowed = [(pl.id, pl.name) for pl in places if await fam.may_change(repos, p, pl.id)]
        if not allowed:
            raise FormRefused("not_allowed")
        return new_session(FORMS[key], 0, {"subject": tr.gettext("new"), "posyandu": allowed})
    raise FormRefused("not_found")


async def subject_of_case(repos: Repositories, case: cq.CaseRow) -> str:
    if case.child_id is not None:
        child = await repos.children.get(case.child_id)
        return f"{html.escape(child.name)} ({html.escape(child.code)})"
    assert case.woman_id is not None
    woman = await fq.get_woman(repos.db, case.woman_id)
    return html.escape(woman.name) if woman else "?"


# ------------------------------------------------------------------ saving


@dataclass(frozen=True)
class Saved:
    text: str
    case_id: int | None = None
    woman_id: int | None = None
    child_id: int | None = None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def save(repos: Repositories, p: access.Principal, session: Session, today: dt.date,
               tr: Translator) -> Saved:
    """Save a finished form (checked again: the rights may have changed since it started). Raises
    case_svc.CaseRefused, fam.FamilyRefused or MaternalInputError."""
    key, target, a = str(session["form"]), int(session["target"]), session["answers"]
    subject = str(session["ctx"].get("subject", ""))
    if key in CASE_FORMS:
        on = _d(a["on"]) if "on" in a else today
        entry = case_svc.ActionInput(
            _ACTIONS[key], on, outcome=Outcome(a["outcome"]) if "outcome" in a else None,
            close=CloseReason(a["why"]) if "why" in a else None, detail=a.get("place"),
            checklist=tuple(a.get("checks", ())), note=a.get("note"))
        case = await case_svc.record(repos, p, target, entry, today=today)
        text = tr.gettext("✅ Recorded on the case of {subject}.").format(subject=subject)
        return Saved(text, case_id=case.id)
    if key == REGISTER:
        woman = await fam.register(repos, p, fam.Registration(
            name=str(a["name"]), birth_date=_d(a["born"]), posyandu_id=int(a["posyandu"]), group=str(a["group"]),
            lmp=_d(a["lmp"]) if a.get("lmp") else None,
            delivered_on=_d(a["delivered"]) if a.get("delivered") else None), today)
        return Saved(tr.gettext("✅ {name} is registered.").format(name=html.escape(woman.name)), woman_id=woman.id)
    if key == "pregnancy":
        await fam.start_pregnancy(repos, p, target, _d(a["lmp"]), today)
        return Saved(tr.gettext("✅ Pregnancy recorded for {subject}.").format(subject=subject), woman_id=target)
    if key == "birth":
        baby = str(a.get("baby") or "").strip()
        code = normalise_child_code(baby) if baby else None
        child_id = await fam.record_birth(repos, p, target, fam.BirthInput(
            on=_d(a["on"]), sex=Sex(a["sex"]), weight_kg=Decimal(str(a["weight"])),
            length_cm=Decimal(str(a["length"])), baby_name=None if code else (baby or None), child_code=code), today)
        child = await repos.children.get(child_id)
        return Saved(tr.gettext("✅ Birth recorded. The baby is registered as {name} with code <b>{code}</b>; the "
                                "birth weight is the first point of the growth chart.").format(
            name=html.escape(child.name), code=html.escape(child.code)), woman_id=target, child_id=child_id)
    kind = {"check": "check", "anc": "anc", "home": "home", "postnatal": "postnatal"}[key]
    recorded = await fam.record_visit(repos, p, target, fam.VisitInput(
        kind=kind, on=_d(a["on"]), muac_cm=_dec(a.get("muac")), hb=_dec(a.get("hb")),
        by_doctor=a.get("doctor") == "yes",
        ttd_tablets=a.get("ttd"), family_planning=a.get("kb"), counselling=a.get("counselling") == "yes",
        checklist=tuple(a.get("checks", ())), note=a.get("note")), today)
    lines = [tr.gettext("✅ Recorded for {subject}.").format(subject=subject)]
    if recorded.visit.kf is not None:
        lines.append(tr.gettext("This is postnatal visit KF{n}.").format(n=recorded.visit.kf))
    if recorded.flags:
        lines.append(tr.gettext("⚠️ At risk: {flags}. A follow-up case is open: {link}").format(
            flags=html.escape(reason_words(recorded.flags, tr)),
            link=f"/kasus_{recorded.case.id}" if recorded.case else ""))
    if recorded.past_due:
        lines.append(tr.gettext("⚠️ She is past her due date: she should give birth at a health facility. Tell the "
                                "midwife today."))
    return Saved("\n".join(lines), case_id=recorded.case.id if recorded.case else None, woman_id=target)


__all__ = ["CASE_FORMS", "FAMILY_FORMS", "FORMS", "REGISTER", "FormRefused", "Saved", "begin", "form_of", "save",
           "subject_of_case"]
