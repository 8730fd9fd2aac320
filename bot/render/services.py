"""Words for the services given at the posyandu: button labels, what was recorded, why something was refused, a
child's records for cadres, and the Buku KIA page summary for parents. Pure functions; user data escaped here."""

from __future__ import annotations

import html
from collections.abc import Sequence

from babel.dates import format_date

from bot.growth.child_services import KiaState, Override, Problem, ServiceKind
from bot.growth.immunisation import BY_CODE, Dose
from bot.i18n import N_, Translator
from bot.services.child_services import Recorded, Refused
from bot.services.services_due import Due, KiaPage
from storage.program_queries import Program
from storage.services_queries import ServiceRecord

# Short names of the antigens as the Buku KIA table prints them (vaccine names are the same in both languages).
SHORT = {"HB0": "HB0", "BCG": "BCG", "OPV": "Polio", "DPT-HB-Hib": "DPT-HB-Hib", "PCV": "PCV", "RV": "Rota",
         "IPV": "IPV", "MR": "MR", "JE": "JE"}
CAPSULE = {"blue": N_("blue capsule (100,000 IU)"), "red": N_("red capsule (200,000 IU)")}
CAPSULE_SHORT = {"blue": N_("blue"), "red": N_("red")}
TABLET = {"half": N_("½ tablet albendazole (200 mg)"), "whole": N_("1 tablet albendazole (400 mg)")}
TABLET_SHORT = {"half": N_("½ tablet"), "whole": N_("1 tablet")}
OVERRIDE_LABELS: dict[Override, str] = {
    Override.GRACE: N_("given up to 4 days early (still valid)"),
    Override.MEASLES_OUTBREAK: N_("measles outbreak (KLB campak)"),
    Override.DISASTER: N_("disaster situation"),
}
PMT_KIND = {"lokal": N_("PMT lokal"), "pabrikan": N_("PMT pabrikan"), "aid": N_("support")}


def short_dose(code: str) -> str:
    dose = BY_CODE.get(code)
    if dose is None:
        return html.escape(code)
    name = SHORT.get(dose.antigen, dose.antigen)
    return name if dose.antigen in ("HB0", "BCG", "JE") else f"{name} {dose.number}"


def dose_name(tr: Translator, code: str) -> str:
    dose: Dose | None = BY_CODE.get(code)
    return tr.gettext(dose.label) if dose is not None else html.escape(code)


def quantity_text(tr: Translator, quantity: int | None, unit: str | None) -> str:
    n = quantity or 0
    if unit == "packages":
        return tr.ngettext("{n} package", "{n} packages", n).format(n=n)
    return tr.ngettext("{n} day", "{n} days", n).format(n=n)


def service_name(tr: Translator, kind: str, code: str, *, program: Program | None = None,
                 quantity: int | None = None, unit: str | None = None) -> str:
    """`MR 1 (campak-rubela)`, `Vitamin A, kapsul merah (200.000 IU)`, `PMT lokal «Asuh» · 7 hari`."""
    if kind == ServiceKind.IMMUNISATION.value:
        return dose_name(tr, code)
    if kind == ServiceKind.VITAMIN_A.value:
        return tr.gettext("Vitamin A, {capsule}").format(capsule=tr.gettext(CAPSULE.get(code, code)))
    if kind == ServiceKind.DEWORMING.value:
        return tr.gettext("Deworming, {tablet}").format(tablet=tr.gettext(TABLET.get(code, code)))
    what = tr.gettext(PMT_KIND.get(code, code))
    if program is not None:
        what += f" «{html.escape(program.name)}»"
    if quantity is not None:
        what += " · " + quantity_text(tr, quantity, unit)
    return what


def record_name(tr: Translator, r: ServiceRecord, program: Program | None = None) -> str:
    return service_name(tr, r.kind, r.code, program=program, quantity=r.quantity, unit=r.unit)


def due_button(tr: Translator, due: Due) -> str:
    """A button under the result card: `💉 MR 1`, `💊 Vit A merah`, `🪱 Obat cacing ½ tablet`, `🍲 PMT 7 hari`."""
    if due.kind is ServiceKind.IMMUNISATION:
        return ("⏰ " if due.overdue else "💉 ") + short_dose(due.code)
    if due.kind is ServiceKind.VITAMIN_A:
        return "💊 " + tr.gettext("Vit A {colour}").format(colour=tr.gettext(CAPSULE_SHORT.get(due.code, due.code)))
    if due.kind is ServiceKind.DEWORMING:
        return "🪱 " + tr.gettext("Deworming {tablet}").format(tablet=tr.gettext(TABLET_SHORT.get(due.code, due.code)))
    program = due.program
    label = "🍲 " + (program.name if program else tr.gettext("PMT"))
    if program is not None:
        label += " · " + quantity_text(tr, program.per_delivery, program.unit)
    return label[:60]


def done_button(tr: Translator, r: ServiceRecord) -> str:
    if r.kind == ServiceKind.IMMUNISATION.value:
        return "✅ " + short_dose(r.code)
    if r.kind == ServiceKind.VITAMIN_A.value:
        return "✅ " + tr.gettext("Vit A {colour}").format(colour=tr.gettext(CAPSULE_SHORT.get(r.code, r.code)))
    if r.kind == ServiceKind.DEWORMING.value:
        return "✅ " + tr.gettext("Deworming {tablet}").format(tablet=tr.gettext(TABLET_SHORT.get(r.code, r.code)))
    return "✅ " + tr.gettext(PMT_KIND.get(r.code, r.code)) + " · " + quantity_text(tr, r.quantity, r.unit)


def due_compact(tr: Translator, dues: Sequence[Due]) -> str:
    """`💉MR1 IPV2 · 💊A · 🪱 · 🍲` for a /daftar line (empty when nothing is due)."""
    parts = []
    doses = [d for d in dues if d.kind is ServiceKind.IMMUNISATION]
    if doses:
        parts.append("💉" + " ".join(html.escape(d.code) for d in doses))
    if any(d.kind is ServiceKind.VITAMIN_A for d in dues):
        parts.append("💊A")
    if any(d.kind is ServiceKind.DEWORMING for d in dues):
        parts.append("🪱")
    if any(d.kind in (ServiceKind.PMT, ServiceKind.AID) for d in dues):
        parts.append("🍲")
    return " ".join(parts)


def override_text(tr: Translator, override: str | None) -> str:
    if not override:
        return ""
    try:
        label = tr.gettext(OVERRIDE_LABELS[Override(override)])
    except ValueError:
        label = html.escape(override)
    return tr.gettext("exception: {reason}").format(reason=label)


# ------------------------------------------------------------------ outcomes of recording


def recorded_line(tr: Translator, r: ServiceRecord, program: Program | None = None) -> str:
    line = "✅ " + record_name(tr, r, program)
    if r.override:
        line += " · ⚠️ " + override_text(tr, r.override)
    return line


def problem_text(tr: Translator, refused: Refused, *, name: str | None = None) -> str:
    """Why a service was not recorded, in plain words, and what the cadre can do (nothing was saved)."""
    p: Problem = refused.problem
    what = name or (dose_name(tr, refused.code) if refused.code and refused.code in BY_CODE
                    else _wish_name(tr, refused))
    day = tr.date(p.on) if p.on else ""
    texts = {
        "future": N_("That date has not come yet."),
        "before_birth": N_("That date is before the child's birth."),
        "already_given": N_("{what} is already recorded on {date}."),
        "same_day": N_("{what}: {other} is already recorded on that day. One vaccine (or capsule) is given once a "
                       "day."),
        "past_limit": N_("{what} can only be given until {date} (its age limit). It is no longer given."),
        "too_young": N_("{what} may be given from {date} (its minimum age). A dose given earlier does not count and "
                        "is given again."),
        "too_soon": N_("{what} may be given from {date} (the minimum interval after the previous dose). A dose given "
                       "earlier does not count and is given again."),
        "before_previous": N_("{what} cannot come before {other}, recorded on {date}."),
        "no_such_dose": N_("That vaccine has no such dose in the schedule."),
        "all_given": N_("Every dose of {what} is already recorded."),
        "vita_age": N_("Vitamin A is for children 6–59 months old."),
        "vita_round": N_("A vitamin A capsule was already given this round ({date}). A second capsule is only "
                         "given in a measles outbreak (KLB campak) or a disaster."),
        "vita_blue_once": N_("The blue capsule is given once, at 6–11 months; this child had it on {date}. The "
                             "next capsule is the red one, from 12 months."),
        "worm_age": N_("Deworming at the posyandu is for children 12–59 months old."),
        "worm_round": N_("Deworming medicine was already given this round ({date}): once per round."),
        "not_enrolled": N_("This child is not enrolled in the program. Deliveries are recorded only for enrolled "
                           "children: ask the coordinator to enrol the child (/program)."),
        "outside_program": N_("That date is outside the program's period (it ends or starts on {date})."),
        "before_enrolment": N_("The child was enrolled on {date}; a delivery before that is not part of the "
                               "program."),
        "record_changed": N_("This record was changed meanwhile. Open /layanan again."),
    }
    msgid = texts.get(p.code, N_("This cannot be recorded."))
    other = short_dose(p.other) if p.other and p.other in BY_CODE else tr.gettext(
        CAPSULE.get(p.other or "", p.other or ""))
    text = "⚠️ " + tr.gettext(msgid).format(what=what, date=day, other=other)
    if p.overrides:
        text += "\n" + tr.gettext("The guideline allows it only as an exception: {reasons}. Choose one if it "
                                  "applies, and it is recorded with that mark.").format(
            reasons=", ".join(tr.gettext(OVERRIDE_LABELS[o]) for o in p.overrides))
    return text


def _wish_name(tr: Translator, refused: Refused) -> str:
    kind = refused.wish.kind
    if kind is ServiceKind.VITAMIN_A:
        return tr.gettext("Vitamin A")
    if kind is ServiceKind.DEWORMING:
        return tr.gettext("Deworming")
    if kind is ServiceKind.IMMUNISATION:
        antigen = refused.code or refused.wish.antigen or ""
        return html.escape(SHORT.get(antigen, antigen))
    return tr.gettext("PMT")


def outcome_lines(tr: Translator, results: Sequence[Recorded | Refused],
                  programs: dict[int, Program] | None = None) -> list[str]:
    programs = programs or {}
    out = []
    for r in results:
        if isinstance(r, Recorded):
            out.append(recorded_line(tr, r.record, programs.get(r.record.program_id or 0)))
        else:
            out.append(problem_text(tr, r))
    return out


# ------------------------------------------------------------------ a child's record (cadres) and Buku KIA (parents)


MARKS = {KiaState.GIVEN: "✅", KiaState.DUE: "⏰", KiaState.OVERDUE: "⚠️", KiaState.MISSED: "❌",
         KiaState.NOT_YET: "▫️", KiaState.UNRECORDED: "❔"}


def _month(tr: Translator, r: ServiceRecord) -> str:
    return format_date(r.given_on, "MMM y", locale=tr.lang)


def kia_summary(tr: Translator, page: KiaPage) -> list[str]:
    """The immunisation and vitamin A record as /anakku shows it: given, due, overdue (catch-up), missed."""
    rows = [r for r in page.rows if not r.dose.regional]
    given = [r for r in rows if r.state is KiaState.GIVEN]
    due = [r for r in rows if r.state is KiaState.DUE]
    overdue = [r for r in rows if r.state is KiaState.OVERDUE]
    missed = [r for r in rows if r.state is KiaState.MISSED]
    lines = [tr.gettext("💉 <b>Immunisation</b> (posyandu record)")]
    if not page.known:
        lines.append(tr.gettext("No immunisation is recorded at the posyandu yet. Show the Buku KIA to the cadre so "
                                "the doses given are recorded."))
    if given:
        lines.append("✅ " + tr.gettext("Given: {doses}").format(doses=", ".join(short_dose(r.dose.code)
                                                                                for r in given)))
    if due:
        lines.append("⏰ " + tr.gettext("Due now: {doses}").format(
            doses=", ".join(short_dose(r.dose.code) for r in due)))
    if overdue:
        lines.append("⚠️ " + tr.gettext("Late, can still be caught up: {doses}").format(doses=", ".join(
            tr.gettext("{dose} (until {date})").format(dose=short_dose(r.dose.code), date=tr.short_date(r.last_on))
            for r in overdue)))
    if missed:
        lines.append("❌ " + tr.gettext("Missed (past its age limit): {doses}").format(
            doses=", ".join(short_dose(r.dose.code) for r in missed)))
    capsules = page.of_kind(ServiceKind.VITAMIN_A)
    vita = ", ".join(f"{_month(tr, r)} ({tr.gettext(CAPSULE_SHORT.get(r.code, r.code))})" for r in capsules)
    line = "💊 " + tr.gettext("Vitamin A: {given}").format(given=vita or tr.gettext("none recorded"))
    if page.vitamin_a_due is not None:
        line += " · " + tr.gettext("this month: {capsule}").format(
            capsule=tr.gettext(CAPSULE[page.vitamin_a_due.value]))
    lines.append(line)
    worms = page.of_kind(ServiceKind.DEWORMING)
    if worms:
        lines.append("🪱 " + tr.gettext("Deworming: {given}").format(given=", ".join(_month(tr, r) for r in worms)))
    return lines


def records_text(tr: Translator, child_code: str, child_name: str, page: KiaPage,
                 programs: dict[int, Program]) -> str:
    """`/layanan A12`: every dose with its state and date, the capsules, tablets and deliveries (cadres)."""
    lines = [tr.gettext("📒 <b>Services of {name} ({code})</b>").format(name=html.escape(child_name),
                                                                      code=html.escape(child_code))]
    by_age: dict[int, list[str]] = {}
    for row in page.rows:
        mark = MARKS[row.state]
        text = f"{mark} {short_dose(row.dose.code)}"
        if row.given_on is not None:
            text += f" {tr.short_date(row.given_on)}"
            rec = page.record_of(row.dose.code)
            if rec is not None and rec.override:
                text += " ⚠️"
        by_age.setdefault(row.dose.due_months, []).append(text)
    for months, items in by_age.items():
        head = tr.gettext("At birth") if months == 0 else tr.ngettext("{n} month", "{n} months", months).format(
            n=months)
        lines.append(f"<b>{head}</b>: " + " · ".join(items))
    others = [r for r in page.records if r.kind != ServiceKind.IMMUNISATION.value]
    for r in others:
        lines.append(f"• {tr.short_date(r.given_on)}: {record_name(tr, r, programs.get(r.program_id or 0))}"
                     + (" · ⚠️ " + override_text(tr, r.override) if r.override else ""))
    lines.append(tr.gettext("✅ given · ⏰ due · ⚠️ late (catch-up) · ❌ missed · ▫️ not yet · ❔ not recorded; "
                            "⚠️ after a date: recorded as an exception"))
    return "\n".join(lines)


__all__ = ["CAPSULE", "MARKS", "OVERRIDE_LABELS", "SHORT", "TABLET", "done_button", "dose_name", "due_button",
           "due_compact", "kia_summary", "outcome_lines", "override_text", "problem_text", "quantity_text",
           "record_name", "recorded_line", "records_text", "service_name", "short_dose"]
