"""Cards of the cadre journey (child line, confirmation, result, history) and the parent's visit message."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.growth.advice import AdviceKey, Audience, parent_summary, render_advice
from bot.growth.age import age_text
from bot.growth.faltering import FalteringResult, WeighStatus
from bot.growth.models import HEIGHT_FROM_DAYS, Category, Indicator, Missing, Note, Severity
from bot.growth.zscores import Problem
from bot.i18n import N_, Translator
from bot.render.issues import describe_value
from storage.models import Child, Faltering, Measurement, Position, Sex

if TYPE_CHECKING:
    from bot.services.measurement import Draft, Saved

MARK = {Severity.NORMAL: "", Severity.WARNING: "⚠️ ", Severity.DANGER: "🔴 "}
CARD_INDICATORS = (Indicator.WFA, Indicator.LHFA, Indicator.WFLH, Indicator.BMIFA)
MAX_ADVICE_LINES = 3  # more than three "to do" lines on a small screen and none gets read
# Codes of bot.services.measurement (WEIGHT_GAIN_CODE, GAIN_FLAG), spelled out: cards must not import services.
_GAIN_PROBLEM = "weight_gain_implausible"
_GAIN_FLAG = "change_weight_gain"
# The underweight advice says "check BB/PB or BB/TB before deciding": once weight-for-length/height (or BMI-for-
# age) is on the card that check is done, so the cadre gets the counselling part only.
UNDERWEIGHT_CHECKED = N_("Weight is low for age: counsel on feeding and weigh again next month.")


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
    return tr.gettext("{value} cm").format(value=tr.decimal(value, 1))


def measured_values(tr: Translator, *, age_days: int, weight: float | Decimal | None,
                    length: float | Decimal | None, position: Position | None, muac: float | Decimal | None = None,
                    head: float | Decimal | None = None, oedema: bool = False) -> str:
    """`BB 10,5 kg · PB 80,2 cm (berbaring) · LiLA 13,0 cm`."""
    parts: list[str] = []
    if weight is not None:
        parts.append(tr.gettext("W {value} kg").format(value=tr.decimal(weight, 1)))
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


def _z_line(tr: Translator, saved: Saved, indicator: Indicator) -> str | None:
    growth = saved.growth
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


def weight_amount(tr: Translator, grams: int) -> str:
    """`300 g` under 1 kg, `2,7 kg` from 1 kg (sign dropped: the words say up or down)."""
    grams = abs(grams)
    if grams >= 1000:
        return tr.gettext("{value} kg").format(value=tr.decimal(grams / 1000, 1))
    return tr.gettext("{grams} g").format(grams=grams)


def weighing_text(tr: Translator, faltering: FalteringResult | None, previous: Measurement | None) -> str | None:
    """`Berat: T — naik 100 g, minimal 200 g untuk umurnya` and friends."""
    if faltering is None:
        return None
    if faltering.status is WeighStatus.B:
        text = tr.gettext("Weight: B — first weighing")
    elif faltering.status is WeighStatus.O:
        text = tr.gettext("Weight: O — not weighed last month")
    else:
        gain = faltering.gain_g or 0
        if gain >= 0:
            change = tr.gettext("up {amount}").format(amount=weight_amount(tr, gain))
        else:
            change = tr.gettext("down {amount}").format(amount=weight_amount(tr, gain))
        if faltering.status is WeighStatus.N:
            text = tr.gettext("Weight: N — {change} (minimum {kbm} g for the age)").format(
                change=change, kbm=faltering.kbm_g)
        elif faltering.two_t:
            text = tr.gettext("Weight: 2T — {change}, minimum {kbm} g for the age (second T in a row)").format(
                change=change, kbm=faltering.kbm_g)
        else:
            text = tr.gettext("Weight: T — {change}, minimum {kbm} g for the age (first T)").format(
                change=change, kbm=faltering.kbm_g)
    if faltering.bgm:
        text += "\n🔴 " + tr.gettext("Below the red line (BGM)")
    return text


def result_card(tr: Translator, child: Child, saved: Saved) -> str:
    """The card right after saving (ux.md): categories with z-scores, weighing status, checks, next action."""
    m = saved.measurement
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
    for indicator in CARD_INDICATORS:
        line = _z_line(tr, saved, indicator)
        if line:
            lines.append(line)
    if growth.z.get(Indicator.HCFA) is not None:
        lines.append(_z_line(tr, saved, Indicator.HCFA) or "")
    if growth.muac_category is not None:
        cat = growth.muac_category
        lines.append(f"{tr.gettext('MUAC')}  {_cm(tr, m.muac_cm or 0)}  {MARK[cat.severity]}{category_text(cat, tr)}")
    weighing = weighing_text(tr, saved.faltering, saved.previous)
    if weighing:
        lines.append(weighing)
    checks: list[str] = []
    if "change_weight_kg" in m.flags:
        checks.append(tr.gettext("⚠️ Weight dropped by more than 1 kg since the last weighing: weigh again."))
    if _GAIN_FLAG in m.flags:
        checks.append(tr.gettext("⚠️ Weight went up far more than expected since the last weighing: weigh again."))
    if "change_length_cm" in m.flags:
        checks.append(tr.gettext("⚠️ Shorter than last time: measure the length/height again."))
    if Note.STANDING_UNDER_9_MONTHS in growth.notes:
        checks.append(tr.gettext("⚠️ A baby under 9 months is measured lying down: please check."))
    if checks:
        lines.append("")
        lines += checks
    advice = cadre_advice(tr, saved)
    if advice:
        lines.append("")
        lines.append(tr.gettext("<b>Next:</b>"))
        if saved.refer:
            lines.append("🔴 " + tr.gettext("Refer to the puskesmas."))
        lines += [f"• {html.escape(a)}" for a in advice[:MAX_ADVICE_LINES]]
    if saved.faltering is not None and saved.faltering.status is WeighStatus.T and not saved.faltering.two_t:
        lines.append(tr.gettext("If the weight is T again next month (2T): refer to the puskesmas."))
    return "\n".join(lines)


def cadre_advice(tr: Translator, saved: Saved) -> list[str]:
    """The cadre's follow-up lines; "check weight-for-length first" only when it was not computed."""
    growth = saved.growth
    checked = growth.z.get(Indicator.WFLH) is not None or growth.z.get(Indicator.BMIFA) is not None
    out: list[str] = []
    for key in saved.advice:
        if key is AdviceKey.UNDERWEIGHT and checked:
            line = tr.gettext(UNDERWEIGHT_CHECKED)
            if line not in out:
                out.append(line)
            continue
        out += [a for a in render_advice([key], tr, Audience.CADRE) if a not in out]
    return out


def history_text(tr: Translator, child: Child, measurements: Sequence[Measurement], today: dt.date) -> str:
    """A child's measurements, newest first (one short line each)."""
    lines = [child_line(child, tr, today)]
    if not measurements:
        lines.append(tr.gettext("No measurements yet. Type /ukur to enter one."))
        return "\n".join(lines)
    lines.append(tr.ngettext("{n} measurement:", "{n} measurements:", len(measurements)).format(n=len(measurements)))
    for m in reversed(measurements):
        parts = [tr.short_date(m.measured_on)]
        values = measured_values(tr, age_days=m.age_days, weight=m.weight_kg, length=m.length_cm,
                                 position=m.position, muac=m.muac_cm, oedema=m.oedema)
        parts.append(values)
        status = []
        if m.faltering is not None:
            status.append(m.faltering.value)
        if m.haz is not None and m.haz < -2 and not m.implausible:
            status.append(tr.gettext("stunted"))
        if m.whz is not None and m.whz < -2 and not m.implausible:
            status.append(tr.gettext("wasted"))
        if m.implausible:
            status.append("⚠️ " + tr.gettext("re-check"))
        if m.supersedes_id is not None:
            status.append(tr.gettext("corrected"))
        if status:
            parts.append(", ".join(status))
        lines.append("• " + " — ".join(parts))
    return "\n".join(lines)


def parent_visit_message(tr: Translator, *, parent_name: str, child: Child, saved: Saved, posyandu_name: str,
                         today: dt.date, next_session: str | None) -> str:
    """The short, kind note a linked parent gets after a posyandu visit (ux.md), in the parent's language."""
    m = saved.measurement
    first_name = html.escape(child.name.split()[0] if child.name.split() else child.name)
    when = tr.gettext("today") if m.measured_on == today else tr.date(m.measured_on)
    lines = [tr.gettext("Hello {parent}, {child} was weighed and measured {when} at {posyandu}.").format(
        parent=html.escape(parent_name), child=first_name, when=when, posyandu=html.escape(posyandu_name))]
    if saved.corrected is not None:
        # The parent may have had a message about the entry this one replaces: say this one supersedes it.
        lines[0] = tr.gettext("Correction: {text}").format(text=lines[0])
    lines += [f"• {html.escape(s)}" for s in parent_summary(saved.growth, tr)]
    faltering = saved.faltering
    if faltering is not None and faltering.gain_g is not None:
        if faltering.status is WeighStatus.N:
            lines.append(tr.gettext("Weight went up {amount} since last month. Well done!").format(
                amount=weight_amount(tr, faltering.gain_g)))
        elif faltering.gain_g < 0:
            lines.append(tr.gettext("Weight went down {amount} since last month.").format(
                amount=weight_amount(tr, faltering.gain_g)))
        else:
            lines.append(tr.gettext("Weight did not go up enough since last month."))
    advice = render_advice(saved.advice, tr, Audience.PARENT)
    if advice:
        lines.append("")
        lines.append(tr.gettext("What you can do:"))
        lines += [f"• {html.escape(a)}" for a in advice[:2]]
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
