"""A woman's record as text (her card) and the list of the families accompanied, in the reader's language. Every
piece of user data is escaped here. Gestational age, due date, ANC and postnatal schedules come from
bot.growth.maternal (docs/cases.md §4)."""

from __future__ import annotations

import html

from bot.growth import maternal as mat
from bot.growth.case_rules import STATE_LABELS, CaseState
from bot.i18n import Translator
from bot.services import families as fam
from bot.services.case_view import reason_words
from bot.services.record_choices import GROUP_LABELS, WORDS

PER_PAGE = 10


def _group(group: str | None, tr: Translator) -> str:
    return tr.gettext(GROUP_LABELS[group]) if group else tr.gettext("mother")


def _pregnancy_lines(view: fam.WomanView, tr: Translator) -> list[str]:
    p = view.pregnancy
    if p is None or p.lmp is None:
        return []
    days = mat.gestational_days(p.lmp, view.today)
    weeks, rest = mat.weeks_days(days)
    lines = [tr.gettext("🤰 Pregnant {w} weeks {d} days (trimester {t}) · HPHT {lmp} · due date {due}").format(
        w=weeks, d=rest, t=mat.trimester(days), lmp=tr.short_date(p.lmp), due=tr.date(mat.due_date(p.lmp)))]
    if mat.past_due(view.today, p.lmp):
        lines.append(tr.gettext("⚠️ Past the due date: she should give birth at a health facility."))
    anc = view.anc()
    if anc is not None:
        per = anc.per_trimester
        doctor = " ".join(f"K{1 if t == 1 else 5} {'✓' if anc.doctor.get(t) else '✗'}" for t in mat.DOCTOR_TRIMESTERS)
        lines.append(tr.gettext("ANC: {n} of at least {min} · TM1 {a}/1 · TM2 {b}/2 · TM3 {c}/3 · doctor: {doctor}"
                                ).format(n=anc.total, min=mat.ANC_MINIMUM, a=per.get(1, 0), b=per.get(2, 0),
                                         c=per.get(3, 0), doctor=doctor))
    lines.append(tr.gettext("Iron tablets (TTD) received: {n}").format(n=view.ttd_total()))
    return lines


def _birth_lines(view: fam.WomanView, tr: Translator) -> list[str]:
    b = view.birth
    if b is None or b.ended_on is None or view.group != fam.POSTPARTUM:
        return []
    day = (view.today - b.ended_on).days
    lines = [tr.gettext("👶 Gave birth {date} (day {n} after the birth)").format(date=tr.date(b.ended_on), n=day)]
    done = view.kf_done()
    parts = []
    for number, _first, _last in mat.KF_WINDOWS:
        start, end = mat.kf_window(number, b.ended_on)
        mark = "✓" if number in done else f"{tr.short_date(start)}–{tr.short_date(end)}"
        parts.append(f"KF{number} {mark}")
    lines.append(tr.gettext("Postnatal visits: {visits}").format(visits=" · ".join(parts)))
    lines.append(tr.gettext("Neonatal visits for the baby: KN1 6–48 hours, KN2 3–7 days, KN3 8–28 days."))
    kb = next((v.family_planning for v in reversed(view.visits) if v.family_planning), None)
    if kb:
        lines.append(tr.gettext("Family planning: {method}").format(method=tr.gettext(WORDS.get(kb, kb))))
    return lines


def format_woman(view: fam.WomanView, tr: Translator) -> str:
    w = view.woman
    head = f"👩 <b>{html.escape(w.name)}</b>"
    if w.birth_date is not None:
        head += " · " + tr.gettext("{n} years").format(n=mat.age_years(w.birth_date, view.today))
    lines = [head + " · " + html.escape(view.posyandu_name), _group(view.group, tr)]
    lines += _pregnancy_lines(view, tr)
    lines += _birth_lines(view, tr)
    muac, hb = fam.latest_values(view.visits)
    values = []
    if muac is not None and muac.muac_cm is not None:
        values.append(tr.gettext("MUAC {v} cm ({date})").format(v=tr.measure(muac.muac_cm),
                                                                 date=tr.short_date(muac.visited_on)))
    if hb is not None and hb.hb_g_dl is not None:
        values.append(tr.gettext("Hb {v} g/dL ({date})").format(v=tr.measure(hb.hb_g_dl),
                                                                 date=tr.short_date(hb.visited_on)))
    if values:
        lines.append(" · ".join(values))
    if view.flags:
        lines.append("⚠️ " + tr.gettext("At risk: {flags}").format(flags=html.escape(reason_words(view.flags, tr))))
    if w.catin and view.group == fam.CATIN:
        counselled = any(v.counselling for v in view.visits)
        lines.append(tr.gettext("Pre-marriage counselling: {done}").format(
            done=tr.gettext("given") if counselled else tr.gettext("not yet")))
    home = [v for v in view.visits if v.kind == "home"]
    if home:
        lines.append(tr.gettext("Last home visit: {date}").format(date=tr.date(home[-1].visited_on)))
    if view.case is not None:
        lines.append(tr.gettext("📁 Follow-up case /kasus_{id} · {state}").format(
            id=view.case.id, state=tr.gettext(STATE_LABELS[CaseState(view.case.state)])))
    return "\n".join(lines)


def format_women_page(items: list[fam.WomanItem], page: int, tr: Translator
                      ) -> tuple[str, int, int, list[tuple[int, fam.WomanItem]]]:
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    counts = {g: sum(1 for i in items if i.group == g) for g in (fam.CATIN, fam.PREGNANT, fam.POSTPARTUM)}
    head = tr.ngettext("<b>Families accompanied</b>: {n} woman", "<b>Families accompanied</b>: {n} women",
                       len(items)).format(n=len(items))
    lines = [head, tr.gettext("bride-to-be {a} · pregnant {b} · after birth {c}").format(
        a=counts[fam.CATIN], b=counts[fam.PREGNANT], c=counts[fam.POSTPARTUM])]
    if not items:
        lines += ["", tr.gettext("No woman registered yet.")]
    shown = list(enumerate(items[page * PER_PAGE:(page + 1) * PER_PAGE], start=page * PER_PAGE + 1))
    for n, item in shown:
        line = f"{n}. {'⚠️ ' if item.case else ''}<b>{html.escape(item.woman.name)}</b> ({_group(item.group, tr)})"
        if item.case is not None:
            line += f" — {html.escape(reason_words(item.case.reasons, tr))} · /kasus_{item.case.id}"
        lines.append(line)
    if pages > 1:
        lines += ["", tr.gettext("Page {page} of {pages}.").format(page=page + 1, pages=pages)]
    return "\n".join(lines), page, pages, shown


__all__ = ["PER_PAGE", "format_woman", "format_women_page"]
