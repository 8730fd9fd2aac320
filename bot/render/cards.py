"""Cards of the cadre journey (child line, confirmation, result, history) and the parent's visit message."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.growth.advice import Audience, parent_summary, render_advice
from bot.growth.age import age_text
from bot.growth.faltering import FalteringResult, WeighStatus
from bot.growth.models import HEIGHT_FROM_DAYS, Category, GrowthResult, Indicator, Missing, Note, Severity
from bot.growth.models import Position as GrowthPosition
from bot.growth.status import REASON_LABELS, WEIGHING_REASONS, Assessment
from bot.growth.zscores import Problem
from bot.i18n import N_, Translator
from bot.render.issues import describe_value
from storage.models import Child, Faltering, Position, Sex

if TYPE_CHECKING:
    from bot.services.measurement import Draft, Saved
    from bot.services.status import ChildStatus

MARK = {Severity.NORMAL: "", Severity.WARNING: "⚠️ ", Severity.DANGER: "🔴 "}
MAX_ADVICE_LINES = 3  # more than three "to do" lines on a small screen and none gets read
# Codes of bot.services.measurement (WEIGHT_GAIN_CODE, GAIN_FLAG), spelled out: cards must not import services.
_GAIN_PROBLEM = "weight_gain_implausible"
_GAIN_FLAG = "change_weight_gain"
def sex_text(sex: Sex, tr: Translator) -> str:
    return tr.gettext("boy") if sex is Sex.MALE else tr.gettext("girl")


def position_text(position: Position | None, tr: Translator) -> str:
    if position is Position.STANDING:
        return tr.gettext("standing")
    return tr.gettext("lying")


def indicator_name(indicator: Indicator, age_days: int, tr: Translator) -> str:
    """BB/U, PB/U (under 2 years) or TB/U, BB/PB or BB/TB, IMT/U, LK/U, LiLA/U."""
    height = age_days >= HEIGHT_FROM_DAYS
    names = {
        Indicator.WFA: tr.gettext("W/A"),
        Indicator.LHFA: tr.gettext("H/A") if height else tr.gettext("L/A"),
        Indicator.WFLH: tr.gettext("W/H") if height else tr.gettext("W/L"),
        Indicator.BMIFA: tr.gettext("BMI/A"),
        Indicator.HCFA: tr.gettext("HC/A"),
        Indicator.ACFA: tr.gettext("MUAC/A"),
    }
    return names[indicator]


def category_text(category: Category, tr: Translator) -> str:
    """The category label in the user's language (the exact Permenkes label in Indonesian), HTML-escaped."""
    label = tr.gettext(category.label_en)
    if tr.lang == "id" and label == category.label_en:
        label = category.label_id  # the growth catalog is not loaded: the Permenkes label is still right
    if category.code in ("stunted", "severely_stunted"):
        label += " " + tr.gettext("(stunting)")
    return html.escape(label)  # labels hold "<" ("LiLA 11,5 - < 12,5 cm") and every card is HTML


def child_line(child: Child, tr: Translator, on: dt.date) -> str:
    """`<b>Budi Santoso</b> (A12) · laki-laki · 1 th 8 bln`."""
    days = max((on - child.birth_date).days, 0)
    return f"<b>{html.escape(child.name)}</b> ({child.code}) · {sex_text(child.sex, tr)} · {age_text(days, tr)}"


def _cm(tr: Translator, value: float | Decimal) -> str:
    return tr.gettext("{value} cm").format(value=tr.measure(value))


def measured_values(tr: Translator, *, age_days: int, weight: float | Decimal | None,
                    length: float | Decimal | None, position: Position | None, muac: float | Decimal | None = None,
                    head: float | Decimal | None = None, oedema: bool = False) -> str:
    """`BB 10,5 kg · PB 80,2 cm (berbaring) · LiLA 13,0 cm`."""
    parts: list[str] = []
    if weight is not None:
        parts.append(tr.gettext("W {value} kg").format(value=tr.measure(weight)))
    if length is not None:
        label = tr.gettext("H") if age_days >= HEIGHT_FROM_DAYS else tr.gettext("L")
        parts.append(f"{label} {_cm(tr, length)} ({position_text(position, tr)})")
    if muac is not None:
        parts.append(tr.gettext("MUAC {value}").format(value=_cm(tr, muac)))
    if head is not None:
        parts.append(tr.gettext("HC {value}").format(value=_cm(tr, head)))
    if oedema:
        parts.append(tr.gettext("oedema of both feet"))
    return " · ".join(parts)


def plausibility_warning(problem: Problem, tr: Translator, age_days: int, *, confirmable: bool = False) -> str:
    """"⚠️ Berat 105 kg tidak mungkin untuk anak 1 th 8 bln. Mungkin maksudnya 10,5 kg?" (+ how to answer).

    `confirmable`: a button lets the cadre keep the value, so it is called unusual ("tidak biasa … mohon periksa
    lagi"), not impossible — the words of `bot.render.issues.describe_value`.
    """
    if problem.code == "implausible_weight_for_length":
        return tr.gettext("⚠️ The weight does not fit the length/height: please check both values.")
    if problem.code == "weight_dropped":
        return tr.gettext("⚠️ The weight dropped by more than 1 kg since the last weighing. Please weigh again.")
    if problem.code == _GAIN_PROBLEM:
        return tr.gettext("⚠️ The weight went up far more than a child gains in that time. Please weigh again.")
    if problem.code == "length_decreased":
        return tr.gettext("⚠️ The length/height is shorter than last time. Please measure again.")
    return describe_value(tr, problem, age_days, confirmable=confirmable)


def confirmation_card(tr: Translator, child: Child, draft: Draft, warnings: Sequence[str]) -> str:
    assert draft.measured_on is not None
    age_days = (draft.measured_on - child.birth_date).days
    lines = [
        tr.gettext("Please check before saving:"),
        child_line(child, tr, draft.measured_on),
        tr.gettext("Date: {date}").format(date=tr.date(draft.measured_on)),
        measured_values(tr, age_days=age_days, weight=draft.weight_kg, length=draft.length_cm,
                        position=draft.position, muac=draft.muac_cm, head=draft.head_cm, oedema=draft.oedema),
    ]
    if draft.corrects_id is not None:
        lines.append(tr.gettext("✏️ This replaces the earlier entry (the old one stays in the history)."))
    if warnings:
        lines.append("")
        lines += list(warnings)
    lines.append("")
    lines.append(tr.gettext("Correct? Press ✅ Save, or ⬅️ Back to change a value."))
    return "\n".join(lines)


def _z_line(tr: Translator, growth: GrowthResult, indicator: Indicator) -> str | None:
    name = indicator_name(indicator, growth.age_days, tr)
    z = growth.z.get(indicator)
    if z is None:
        reason = growth.missing.get(indicator)
        if reason is Missing.OEDEMA:
            return f"{name}  —  " + tr.gettext("not computed (oedema)")
        if reason is Missing.LENGTH_OUT_OF_RANGE:
            return f"{name}  —  " + tr.gettext("length/height outside the table")
        return None
    if growth.flags.get(indicator):
        return f"{name}  {tr.z(z)}  ⚠️ " + tr.gettext("implausible: measure again")
    cat = growth.categories.get(indicator)
    if cat is None:
        return f"{name}  {tr.z(z)}"
    return f"{name}  {tr.z(z)}  {MARK[cat.severity]}{category_text(cat, tr)}"


def indicator_lines(tr: Translator, growth: GrowthResult, muac_cm: float | None) -> list[str]:
    """BB/U, PB/U-TB/U, BB/PB-BB/TB (IMT/U only when BB/PB-BB/TB is missing: the nutrition status is decided on
    weight-for-length/height, WHO/UNICEF 2009), LK/U, LiLA."""
    indicators = [Indicator.WFA, Indicator.LHFA, Indicator.WFLH]
    if growth.z.get(Indicator.WFLH) is None:
        indicators.append(Indicator.BMIFA)
    lines = [line for ind in indicators if (line := _z_line(tr, growth, ind))]
    if growth.z.get(Indicator.HCFA) is not None:
        lines.append(_z_line(tr, growth, Indicator.HCFA) or "")
    if growth.muac_category is not None and muac_cm is not None:
        cat = growth.muac_category
        lines.append(f"{tr.gettext('MUAC {value}').format(value=_cm(tr, muac_cm))}  "
                     f"{MARK[cat.severity]}{category_text(cat, tr)}")
    return lines


def weight_amount(tr: Translator, grams: int) -> str:
    """`300 g` under 1 kg, `2,7 kg` from 1 kg (sign dropped: the words say up or down)."""
    grams = abs(grams)
    if grams >= 1000:
        return tr.gettext("{value} kg").format(value=tr.decimal(grams / 1000, 1))
    return tr.gettext("{grams} g").format(grams=grams)


def change_text(tr: Translator, gain_g: int) -> str:
    """`naik 300 g`, `turun 200 g`, `tidak berubah` (never "naik 0 g")."""
    if gain_g > 0:
        return tr.gettext("up {amount}").format(amount=weight_amount(tr, gain_g))
    if gain_g < 0:
        return tr.gettext("down {amount}").format(amount=weight_amount(tr, gain_g))
    return tr.gettext("no change")


def _since(tr: Translator, faltering: FalteringResult) -> str:
    if faltering.from_birth:
        return tr.gettext("since birth")
    days = faltering.interval_days or 0
    return tr.ngettext("in {n} day", "in {n} days", days).format(n=days)


def weighing_text(tr: Translator, faltering: FalteringResult | None) -> str | None:
    """`Berat: T — naik 100 g dalam 30 hari, kurang dari minimal 200 g untuk umurnya` and friends."""
    if faltering is None:
        return None
    gain = faltering.gain_g or 0
    if faltering.status is WeighStatus.B:
        text = tr.gettext("Weight: B — first weighing")
    elif faltering.status is WeighStatus.O:
        text = tr.gettext("Weight: O — no weighing about a month before (last one {days} days ago, {change})").format(
            days=faltering.interval_days or 0, change=change_text(tr, gain))
    elif faltering.status is WeighStatus.TOO_SOON:
        text = tr.gettext("Weight: not judged yet — weighed {days} days after the last weighing ({change}); N or T "
                          "is judged over 21–45 days").format(days=faltering.interval_days or 0,
                                                               change=change_text(tr, gain))
    elif faltering.status is WeighStatus.N:
        text = tr.gettext("Weight: N — {change} {since} (minimum {kbm} g for the age)").format(
            change=change_text(tr, gain), since=_since(tr, faltering), kbm=faltering.kbm_g)
    else:
        label = "2T" if faltering.two_t else "T"
        if gain > 0:
            text = tr.gettext("Weight: {label} — {change} {since}, less than the minimum {kbm} g for the age").format(
                label=label, change=change_text(tr, gain), since=_since(tr, faltering), kbm=faltering.kbm_g)
        else:
            text = tr.gettext("Weight: {label} — {change} {since} (minimum {kbm} g for the age)").format(
                label=label, change=change_text(tr, gain), since=_since(tr, faltering), kbm=faltering.kbm_g)
        if faltering.two_t:
            text += " " + tr.gettext("(second T in a row)")
    if faltering.bgm:
        text += "\n🔴 " + tr.gettext("Below the red line (BGM)")
    if faltering.above_orange:
        text += "\n⚠️ " + tr.gettext("Above the orange line")
    return text


REMEASURE_NOTE = N_("⚠️ Saved as <b>needs re-measuring</b>: a value is not possible for this child, so this entry "
                    "is left out of recaps, lists, parent messages and exports until it is corrected. Measure the "
                    "child again and press ✏️ Correct.")


def result_card(tr: Translator, child: Child, saved: Saved) -> str:
    """The card right after saving (ux.md): categories with z-scores, weighing status, checks, next action.
    What it says is the status function's assessment of this visit (bot.growth.status), as every list says."""
    m = saved.measurement
    a = saved.assessment
    head = tr.gettext("✅ Corrected:") if saved.corrected is not None else tr.gettext("✅ Saved:")
    lines = [
        f"{head} {child_line(child, tr, m.measured_on)}",
        tr.gettext("Measured {date} — {values}").format(
            date=tr.date(m.measured_on),
            values=measured_values(tr, age_days=m.age_days, weight=m.weight_kg, length=m.length_cm,
                                   position=m.position, muac=m.muac_cm, head=m.head_cm, oedema=m.oedema)),
        "",
    ]
    growth = saved.growth
    if Note.OVER_FIVE in growth.notes:
        lines.append(tr.gettext("Over 5 years: the WHO under-five standard (Permenkes 2/2020) no longer applies."))
    if not a.valid:
        lines += [tr.gettext(REMEASURE_NOTE), ""]
    lines += indicator_lines(tr, growth, m.muac_cm)
    weighing = weighing_text(tr, a.weighing)
    if weighing:
        lines.append(weighing)
    if a.valid and not saved.counted:
        month = saved.status.month_of(m.id)
        if month is not None and month.counted is not None:
            lines.append("ℹ️ " + tr.gettext("This month the weighing of {date} counts (the latest one).").format(
                date=tr.short_date(month.counted.visit.measured_on)))
    checks: list[str] = []
    if "change_weight_kg" in m.flags:
        checks.append(tr.gettext("⚠️ Weight dropped by more than 1 kg since the last weighing (confirmed)."))
    if _GAIN_FLAG in m.flags:
        checks.append(tr.gettext("⚠️ Weight went up far more than expected since the last weighing (confirmed)."))
    if "change_length_cm" in m.flags:
        checks.append(tr.gettext("⚠️ Shorter than last time (confirmed): check the earlier length/height too."))
    if Note.STANDING_UNDER_9_MONTHS in growth.notes:
        checks.append(tr.gettext("⚠️ A baby under 9 months is measured lying down: please check."))
    if checks:
        lines.append("")
        lines += checks
    advice = cadre_advice(tr, saved)
    if advice:
        lines.append("")
        lines.append(tr.gettext("<b>Next:</b>"))
        if a.urgent:
            lines.append("🔴 " + tr.gettext("Refer to the puskesmas today."))
        elif a.refer:
            lines.append("🔴 " + tr.gettext("Refer to the puskesmas."))
        lines += [f"• {html.escape(line)}" for line in advice[:MAX_ADVICE_LINES]]
    return "\n".join(lines)


def cadre_advice(tr: Translator, saved: Saved) -> list[str]:
    """The cadre's follow-up lines, most urgent first."""
    return render_advice(saved.advice, tr, Audience.CADRE)


def visit_status_words(tr: Translator, a: Assessment, counted: bool) -> list[str]:
    """Short words for one visit in a list: `T`, `pendek`, `gizi buruk`, `rujuk`, or `perlu ukur ulang`."""
    if not a.valid:
        return ["⚠️ " + tr.gettext("needs re-measuring")]
    words: list[str] = []
    w = a.weighing
    if w is not None:
        words.append("2T" if w.two_t else (tr.gettext("not judged") if w.status is WeighStatus.TOO_SOON
                                           else w.status.value))
    words += [tr.gettext(REASON_LABELS[r]) for r in a.reasons if r not in WEIGHING_REASONS]
    if a.urgent:
        words.append("🔴 " + tr.gettext("refer today"))
    elif a.refer:
        words.append(tr.gettext("refer"))
    if not counted:
        words.append(tr.gettext("re-measurement, not counted"))
    return words


def history_text(tr: Translator, child: Child, status: ChildStatus, today: dt.date, limit: int = 12) -> str:
    """A child's visits, newest first (one short line each), with what the status function says of each."""
    lines = [child_line(child, tr, today)]
    visits = status.assessments[-limit:]
    if not visits:
        lines.append(tr.gettext("No measurements yet. Type /ukur to enter one."))
        return "\n".join(lines)
    lines.append(tr.ngettext("{n} measurement:", "{n} measurements:", len(status.assessments)).format(
        n=len(status.assessments)))
    for a in reversed(visits):
        v = a.visit
        parts = [tr.short_date(v.measured_on),
                 measured_values(tr, age_days=a.growth.age_days, weight=v.weight_kg, length=v.length_cm,
                                 position=Position(v.position.value) if v.position in (
                                     GrowthPosition.LYING, GrowthPosition.STANDING) else None,
                                 muac=v.muac_cm, oedema=v.oedema)]
        words = visit_status_words(tr, a, status.is_counted(v.id))
        if status.row(v.id).supersedes_id is not None:
            words.append(tr.gettext("corrected"))
        if words:
            parts.append(", ".join(words))
        lines.append("• " + " — ".join(parts))
    return "\n".join(lines)


def parent_weighing_line(tr: Translator, faltering: FalteringResult | None) -> str | None:
    """The weighing in plain words for a parent (never "did not go up" after a gain: it says how much)."""
    if faltering is None or faltering.gain_g is None:
        return None
    gain = faltering.gain_g
    if faltering.status is WeighStatus.N:
        return tr.gettext("Weight went up {amount} since the last weighing. Well done!").format(
            amount=weight_amount(tr, gain))
    if faltering.status is WeighStatus.T and gain > 0:
        return tr.gettext("Weight went up {amount}, less than the {kbm} g a child of this age should gain in a "
                          "month.").format(amount=weight_amount(tr, gain), kbm=faltering.kbm_g)
    if gain < 0 and faltering.status is not WeighStatus.TOO_SOON:
        return tr.gettext("Weight went down {amount} since the last weighing.").format(
            amount=weight_amount(tr, gain))
    if gain == 0 and faltering.status is WeighStatus.T:
        return tr.gettext("Weight stayed the same since last month.")
    return None


def parent_visit_message(tr: Translator, *, parent_name: str, child: Child, saved: Saved, posyandu_name: str,
                         today: dt.date, next_session: str | None) -> str:
    """The short, kind note a linked parent gets after a posyandu visit (ux.md), in the parent's language."""
    m = saved.measurement
    a = saved.assessment
    first_name = html.escape(child.name.split()[0] if child.name.split() else child.name)
    when = tr.gettext("today") if m.measured_on == today else tr.date(m.measured_on)
    lines = [tr.gettext("Hello {parent}, {child} was weighed and measured {when} at {posyandu}.").format(
        parent=html.escape(parent_name), child=first_name, when=when, posyandu=html.escape(posyandu_name))]
    if saved.corrected is not None:
        # The parent may have had a message about the entry this one replaces: say this one supersedes it.
        lines[0] = tr.gettext("Correction: {text}").format(text=lines[0])
    lines += [f"• {html.escape(s)}" for s in parent_summary(a.growth, tr)]
    weighing = parent_weighing_line(tr, a.weighing)
    if weighing:
        lines.append(weighing)
    if a.urgent:
        lines.append("")
        lines.append("🔴 " + tr.gettext("Please take your child to the puskesmas today."))
    elif a.refer:
        lines.append("")
        lines.append(tr.gettext("Please take your child to the puskesmas this week, and bring the Buku KIA."))
    advice = render_advice(saved.advice, tr, Audience.PARENT)
    if advice:
        lines.append("")
        lines.append(tr.gettext("What you can do:"))
        lines += [f"• {html.escape(line)}" for line in advice[:2]]
    if next_session:
        lines.append("")
        lines.append(tr.gettext("Next posyandu: {when}.").format(when=html.escape(next_session)))
    return "\n".join(lines)


def enrolment_card(tr: Translator, data: dict[str, str | None], today: dt.date) -> str:
    """Summary of a child being registered (values already validated; NIK masked)."""
    from storage.values import mask_nik

    sex = data.get("sex")
    birth_text = data.get("birth_date")
    birth = dt.date.fromisoformat(birth_text) if birth_text else None
    none = tr.gettext("—")
    rows = [
        (tr.gettext("Name"), html.escape(data.get("name") or none)),
        (tr.gettext("Sex"), sex_text(Sex(sex), tr) if sex else none),
        (tr.gettext("Date of birth"),
         f"{tr.date(birth)} ({age_text(max((today - birth).days, 0), tr)})" if birth else none),
        (tr.gettext("Parent"), html.escape(data.get("guardian_name") or none)),
        (tr.gettext("Phone"), html.escape(data.get("guardian_phone") or none)),
        (tr.gettext("NIK"), mask_nik(data.get("nik")) or none),
        (tr.gettext("Address"), html.escape(data.get("address") or none)),
    ]
    return "\n".join(f"{label}: {value}" for label, value in rows)


def faltering_code(value: Faltering | None) -> str:
    return value.value if value is not None else ""
