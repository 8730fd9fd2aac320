"""Words for intervention programs: the program card, the children proposed and followed (staff), the monthly
report (counts only) and the sponsor's anonymised list. Pure functions; user data escaped here."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.growth.age import age_text
from bot.i18n import Translator, fmt_month
from bot.render.services import quantity_text
from bot.services.programs import (
    COMPARISON_NOTE,
    CRITERIA,
    KINDS,
    Followed,
    Outcome,
    ProgramReport,
    Proposal,
    facts_words,
)
from bot.services.sponsor import AnonChild
from storage.models import Sex
from storage.program_queries import Program


def _signed(tr: Translator, value: float | None) -> str:
    if value is None:
        return "–"
    return tr.z(value)


def criteria_text(tr: Translator, criteria: Sequence[str]) -> str:
    return ", ".join(tr.gettext(CRITERIA[c]) for c in criteria if c in CRITERIA) or tr.gettext("none")


def period_text(tr: Translator, program: Program) -> str:
    return tr.gettext("{start} – {end}").format(start=tr.short_date(program.starts_on),
                                               end=tr.short_date(program.ends_on))


def program_card(tr: Translator, program: Program, place: str, *, enrolled: int, proposed: int | None,
                 members: int) -> str:
    lines = [tr.gettext("🤝 <b>{name}</b>").format(name=html.escape(program.name))]
    if program.sponsor:
        lines.append(tr.gettext("Sponsor: {sponsor}").format(sponsor=html.escape(program.sponsor)))
    lines += [
        tr.gettext("Where: {place}").format(place=html.escape(place)),
        tr.gettext("Kind: {kind} · {period}").format(kind=tr.gettext(KINDS.get(program.kind, program.kind)),
                                                    period=period_text(tr, program)),
        tr.gettext("Children proposed when: {criteria} (age {low}–{high} months)").format(
            criteria=criteria_text(tr, program.criteria), low=program.min_months, high=program.max_months),
        tr.gettext("One delivery: {size}").format(size=quantity_text(tr, program.per_delivery, program.unit)),
        tr.gettext("Enrolled: {n} · sponsor members: {m}").format(n=enrolled, m=members),
    ]
    if proposed is not None:
        lines.append(tr.gettext("Proposed now: {n}").format(n=proposed))
    return "\n".join(lines)


def proposals_text(tr: Translator, program: Program, items: Sequence[Proposal]) -> str:
    lines = [tr.gettext("👶 <b>Proposed for {name}</b>").format(name=html.escape(program.name))]
    if not items:
        lines.append(tr.gettext("No child meets the criteria now (latest weighing of the past 3 months)."))
    for p in items:
        lines.append(tr.gettext("• {name} ({code}) · {date}: {status}").format(
            name=html.escape(p.child.name), code=p.child.code, date=tr.short_date(p.facts.measured_on or p.facts.month),
            status=html.escape(facts_words(tr, p.facts))))
    return "\n".join(lines)


def followed_text(tr: Translator, program: Program, items: Sequence[Followed]) -> str:
    lines = [tr.gettext("📋 <b>Enrolled in {name}</b>").format(name=html.escape(program.name))]
    if not items:
        lines.append(tr.gettext("No child is enrolled yet."))
    for f in items:
        received = quantity_text(tr, f.received, program.unit)
        if f.planned_days:
            received += " / " + tr.ngettext("{n} day", "{n} days", f.planned_days).format(n=f.planned_days)
        left = " · " + tr.gettext("left {date}").format(date=tr.short_date(f.enrolment.left_on)) \
            if f.enrolment.left_on else ""
        lines.append(tr.gettext("• {name} ({code}): {before} → {now} · received {received}{left}").format(
            name=html.escape(f.child.name), code=f.child.code, before=html.escape(facts_words(tr, f.base)),
            now=html.escape(facts_words(tr, f.latest)), received=received, left=left))
    return "\n".join(lines)


def _outcome(tr: Translator, o: Outcome) -> str:
    if not o.children:
        return tr.gettext("nobody weighed after the baseline")
    return tr.gettext("{n} weighed · WAZ {waz} · HAZ {haz} · stunted → not stunted {rec} of {before} · became "
                      "stunted {new}").format(n=o.children, waz=_signed(tr, o.waz_change),
                                              haz=_signed(tr, o.haz_change), rec=o.stunted_recovered,
                                              before=o.stunted_before, new=o.became_stunted)


def report_text(tr: Translator, r: ProgramReport, *, last: int | None = None) -> str:
    """The monthly report: counts and mean changes only (also what sponsors get); `last`: only the last months."""
    lines = [tr.gettext("📊 <b>Report: {name}</b>").format(name=html.escape(r.name))]
    if r.sponsor:
        lines.append(tr.gettext("Sponsor: {sponsor}").format(sponsor=html.escape(r.sponsor)))
    lines.append(tr.gettext("{kind} · {start} – {end}").format(kind=tr.gettext(KINDS.get(r.kind, r.kind)),
                                                               start=tr.short_date(r.starts_on),
                                                               end=tr.short_date(r.ends_on)))
    lines.append(tr.gettext("Enrolled: {n} children ({b} with a baseline weighing) · comparison group: {c} "
                            "children").format(n=r.enrolled_total, b=r.enrolled_with_baseline, c=r.comparison_total))
    if not r.months:
        lines.append(tr.gettext("The program has not started yet."))
    months = r.months[-last:] if last else r.months
    if len(months) < len(r.months):
        lines.append(tr.gettext("The last {n} months (every month: in the Excel file).").format(n=len(months)))
    for m in months:
        lines.append("")
        lines.append(tr.gettext("<b>{month}</b>: {enrolled} enrolled · {deliveries} deliveries to {reached} children "
                                "({quantity})").format(
            month=fmt_month(m.month, tr.lang), enrolled=m.enrolled, deliveries=m.deliveries,
            reached=m.children_reached, quantity=quantity_text(tr, m.quantity, r.unit)))
        lines.append("  " + tr.gettext("Program: {outcome}").format(outcome=_outcome(tr, m.enrolled_outcome)))
        lines.append("  " + tr.gettext("Comparison: {outcome}").format(outcome=_outcome(tr, m.comparison_outcome)))
    lines += ["", "<i>" + tr.gettext("WAZ, HAZ: mean change of the weight-for-age and length/height-for-age z-scores "
                                    "since the baseline.") + "</i>", "<i>" + tr.gettext(COMPARISON_NOTE) + "</i>"]
    return "\n".join(lines)


def sponsor_children_text(tr: Translator, program: Program, children: Sequence[AnonChild]) -> str:
    """What a sponsor sees: code, age, sex, status trend, what was received. No name, NIK, phone or address."""
    lines = [tr.gettext("🤝 <b>{name}</b> · {n} children").format(name=html.escape(program.name), n=len(children))]
    for c in children:
        sex = tr.gettext("boy") if c.sex is Sex.MALE else tr.gettext("girl")
        trend = f"{facts_words(tr, c.base)} → {facts_words(tr, c.latest)}"
        haz = ""
        if c.base is not None and c.latest is not None and c.base.haz is not None and c.latest.haz is not None:
            haz = " · " + tr.gettext("HAZ {before} → {now}").format(before=tr.z(c.base.haz), now=tr.z(c.latest.haz))
        lines.append(tr.gettext("• {code} · {age} · {sex}: {trend}{haz} · received {received}").format(
            code=c.code, age=age_text(c.age_days, tr), sex=sex, trend=html.escape(trend),
            haz=haz, received=quantity_text(tr, c.received, program.unit)))
    if not children:
        lines.append(tr.gettext("No child is enrolled yet."))
    lines.append("<i>" + tr.gettext("Children are shown by their posyandu code only.") + "</i>")
    return "\n".join(lines)


__all__ = ["COMPARISON_NOTE", "criteria_text", "facts_words", "followed_text", "period_text", "program_card",
           "proposals_text", "report_text", "sponsor_children_text"]
