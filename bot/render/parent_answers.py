"""The words of the answers about a parent's own child (bot.services.parent_answers), in plain language.

Every piece of user data is escaped here; the handler sends the text with parse mode HTML as is.
"""

from __future__ import annotations

import html
from decimal import Decimal

from bot.growth import immunisation
from bot.growth.advice import Audience, parent_summary, render_advice
from bot.growth.age import age_text
from bot.growth.models import DAYS_PER_MONTH, HEIGHT_FROM_DAYS
from bot.growth.status import REASON_LABELS
from bot.i18n import Translator
from bot.render.cards import sex_text
from bot.services import parent_answers as pa
from bot.services.parent import ChildReport
from bot.services.parent_intents import Intent, Measure
from storage.models import Child, Position, Sex

# Juknis ILP 2023 (bot.growth.immunisation): the schedule the vaccine answer follows.
IMMUNISATION_SOURCE = "Kemenkes RI, KMK HK.01.07/MENKES/2015/2023 (Juknis ILP)"
GROWTH_SOURCE = "Permenkes No. 2 Tahun 2020; WHO Child Growth Standards"


def first_name(child: Child) -> str:
    return html.escape(child.name.split()[0] if child.name.split() else child.name)


def age_words(age_days: int, tr: Translator) -> str:
    """ "1 tahun 8 bulan", "5 bulan", "12 hari" (in full words, for a sentence)."""
    months = int(age_days // DAYS_PER_MONTH)
    if months == 0:
        return tr.ngettext("{n} day", "{n} days", age_days).format(n=age_days)
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(tr.ngettext("{n} year", "{n} years", years).format(n=years))
    if rest:
        parts.append(tr.ngettext("{n} month", "{n} months", rest).format(n=rest))
    return " ".join(parts)


def not_linked_text(intent: Intent, tr: Translator) -> str:
    if intent is Intent.SCHEDULE:
        return tr.gettext("I can tell you the date of your posyandu once your child is linked to your account: "
                          "/hubungkan. Until then, please ask your posyandu cadre.")
    return tr.gettext("To answer about your own child, I need to know which child is yours. Link your child with "
                      "/hubungkan (your phone number or the code from your cadre).")


def choose_child_text(tr: Translator) -> str:
    return tr.gettext("Which child is the question about?")


def age_answer_text(ans: pa.AgeAnswer, tr: Translator) -> str:
    return (tr.gettext("👶 {name} is {age} old today (born {date}).").format(
        name=first_name(ans.child), age=age_words(ans.age_days, tr), date=tr.date(ans.child.birth_date))
        + "\n" + tr.gettext("A tip for this age: /tips"))


def session_text(session: pa.parent_svc.NextSession | None, tr: Translator) -> str | None:
    if session is None:
        return None
    return html.escape(session.when_text or tr.date(session.date))


def schedule_text(ans: pa.ScheduleAnswer, tr: Translator) -> str:
    blocks = []
    for place in ans.places:
        name = html.escape(place.posyandu_name)
        when = session_text(place.session, tr)
        lines = []
        if when is None:
            lines.append(tr.gettext("📅 The date of the next posyandu at {posyandu} is not in the bot yet. Please ask "
                                    "your cadre.").format(posyandu=name))
        else:
            lines.append(tr.gettext("📅 Next posyandu at {posyandu}: {when}.").format(posyandu=name, when=when))
        if place.address:
            lines.append(tr.gettext("📍 Place: {address}").format(address=html.escape(place.address)))
        if len(ans.places) > 1 and place.children:
            lines.append(tr.gettext("For: {names}").format(names=", ".join(first_name(c) for c in place.children)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" + tr.gettext("Bring the Buku KIA. Reminders: /jadwal")


def status_text(report: ChildReport, tr: Translator) -> str:
    """The child's latest counted visit in the status function's words (as /anakku, shorter)."""
    child = report.child
    name = first_name(child)
    lines = [f"👶 <b>{name}</b> · {age_text(report.age_days, tr)}"]
    latest = report.latest
    if latest is None:
        lines.append(tr.gettext("{name} has not been weighed at the posyandu yet, so I cannot say yet. Bring {name} "
                                "and the Buku KIA to the next posyandu.").format(name=name))
    else:
        m = latest.measurement
        sizes = []
        if m.weight_kg is not None:
            sizes.append(tr.gettext("weight {kg} kg").format(kg=tr.measure(m.weight_kg)))
        if m.length_cm is not None:
            label = tr.gettext("length {cm} cm") if m.position == Position.LYING else tr.gettext("height {cm} cm")
            sizes.append(label.format(cm=tr.measure(m.length_cm)))
        lines.append(tr.gettext("At the posyandu on {date}: {sizes}").format(
            date=tr.date(m.measured_on), sizes=", ".join(sizes)))
        lines += [f"• {html.escape(s)}" for s in parent_summary(latest.growth, tr)]
        if latest.urgent:
            lines.append("🔴 " + tr.gettext("Please take {name} to the puskesmas today.").format(name=name))
        elif latest.refer:
            lines.append("⚠️ " + tr.gettext("Please take {name} to the puskesmas this week, with the Buku KIA.").format(
                name=name))
        else:
            advice = render_advice(latest.advice, tr, Audience.PARENT)
            if advice:
                lines.append("✅ " + html.escape(advice[0]))
    when = session_text(report.next_session, tr)
    if when:
        lines.append(tr.gettext("📅 Next posyandu: {when}.").format(when=when))
    lines.append(tr.gettext("The whole card and the chart: /anakku"))
    return "\n".join(lines)


def _dose_names(doses: tuple[immunisation.DoseStatus, ...], tr: Translator) -> str:
    return ", ".join(html.escape(tr.gettext(d.dose.label)) for d in doses)


def immunisation_text(ans: pa.ImmunisationAnswer, tr: Translator) -> str:
    name = first_name(ans.child)
    lines = [tr.gettext("💉 Vaccines for {name} ({age}), by the national schedule:").format(
        name=name, age=age_text(ans.age_days, tr))]
    if ans.due:
        lines.append(tr.gettext("• Due now: {doses} (from {date}).").format(
            doses=_dose_names(ans.due, tr), date=tr.date(min(d.due_on for d in ans.due))))
    if ans.overdue:
        lines.append(tr.gettext("• Late, still to catch up: {doses}.").format(doses=_dose_names(ans.overdue, tr)))
    if ans.upcoming:
        lines.append(tr.gettext("• Next: {doses} from {date}.").format(
            doses=_dose_names(ans.upcoming, tr), date=tr.date(ans.upcoming[0].due_on)))
    if ans.last_due:
        lines.append(tr.gettext("• Last due by the schedule: {doses} (from {date}). Check in the Buku KIA that they "
                                "were given.").format(doses=_dose_names(ans.last_due, tr),
                                                      date=tr.date(ans.last_due[0].due_on)))
    if not ans.due and not ans.overdue and not ans.upcoming and not ans.last_due:
        lines.append(tr.gettext("• No more routine vaccines by the schedule at this age."))
    if not ans.records_known:
        lines.append(tr.gettext("The bot does not record which vaccines {name} has had: check the Buku KIA. A missed "
                                "vaccine is not started again; it can still be given (catch-up). Ask at the posyandu "
                                "or puskesmas.").format(name=name))
    lines.append("<i>" + tr.gettext("Source: {source}").format(source=html.escape(IMMUNISATION_SOURCE)) + "</i>")
    return "\n".join(lines)


def _kg(value: float, tr: Translator) -> str:
    return tr.gettext("{value} kg").format(value=tr.decimal(value, 1))


def _cm(value: float, tr: Translator) -> str:
    return tr.gettext("{value} cm").format(value=tr.decimal(value, 1))


def expected_text(ans: pa.ExpectedAnswer, tr: Translator) -> str:
    age = age_words(ans.age_days, tr)
    if ans.child is not None:
        head = tr.gettext("📏 For {name} ({age}), by the standard for children (Permenkes 2/2020, WHO):").format(
            name=first_name(ans.child), age=age)
    else:
        head = tr.gettext("📏 For a child of {age}, by the standard for children (Permenkes 2/2020, WHO):").format(
            age=age)
    lines = [head]
    for sex in ans.sexes:
        if len(ans.sexes) > 1:
            lines.append(f"<b>{html.escape(sex_text(_storage_sex(sex), tr).capitalize())}</b>")
        for measure in ans.measures:
            r = ans.ranges[(sex, measure)]
            if measure is Measure.WEIGHT:
                lines.append(tr.gettext("• Weight: normal {low} to {high} (below: underweight; above: risk of "
                                        "overweight). Average {median}.").format(
                    low=_kg(r.low, tr), high=_kg(r.high, tr), median=_kg(r.median, tr)))
            else:
                label = (tr.gettext("• Height: normal from {low} (below: short for age, stunting). Average {median}.")
                         if ans.age_days >= HEIGHT_FROM_DAYS else
                         tr.gettext("• Length: normal from {low} (below: short for age, stunting). Average "
                                    "{median}."))
                lines.append(label.format(low=_cm(r.low, tr), median=_cm(r.median, tr)))
    lines.append(tr.gettext("Every child grows along their own line; what matters is that it keeps going up. "
                            "Weigh and measure at the posyandu every month."))
    lines.append("<i>" + tr.gettext("Source: {source}").format(source=html.escape(GROWTH_SOURCE)) + "</i>")
    return "\n".join(lines)


def _storage_sex(sex: object) -> Sex:
    """storage's Sex from the growth engine's (both are "M" / "F")."""
    return Sex(str(getattr(sex, "value", sex)))


def _values(ans: pa.ScoreAnswer, tr: Translator) -> str:
    parts = []
    if ans.weight_kg is not None:
        parts.append(tr.gettext("weight {kg} kg").format(kg=tr.measure(Decimal(ans.weight_kg))))
    if ans.length_cm is not None:
        label = tr.gettext("height {cm} cm") if ans.age_days >= HEIGHT_FROM_DAYS else tr.gettext("length {cm} cm")
        parts.append(label.format(cm=tr.measure(Decimal(ans.length_cm))))
    return ", ".join(parts)


def score_text(ans: pa.ScoreAnswer, tr: Translator) -> str:
    sex = sex_text(_storage_sex(ans.sex), tr)
    age = age_words(ans.age_days, tr)
    lines = [tr.gettext("📊 A {sex} of {age}, {values}:").format(sex=sex, age=age, values=_values(ans, tr))]
    if ans.child is not None and ans.age_from_child:
        lines.append(tr.gettext("(the age and sex of {name} today)").format(name=first_name(ans.child)))
    elif ans.child is not None:
        lines.append(tr.gettext("(as a {sex}, like {name})").format(sex=sex, name=first_name(ans.child)))
    if ans.implausible:
        lines.append(tr.gettext("⚠️ These numbers are very unlikely for this age. Please check them (for example 9 kg, "
                                "not 90) and type them again."))
    else:
        lines += [f"• {html.escape(s)}" for s in parent_summary(ans.growth, tr)]
        if ans.urgent:
            lines.append("🔴 " + tr.gettext("With these numbers, please take the child to the puskesmas today."))
        elif ans.reasons:
            labels = ", ".join(html.escape(tr.gettext(REASON_LABELS[r])) for r in ans.reasons)
            lines.append("⚠️ " + tr.gettext("With these numbers ({reasons}), please take the child to the puskesmas "
                                            "this week, with the Buku KIA.").format(reasons=labels))
    lines.append("")
    lines.append(tr.gettext("ℹ️ This is an estimate from the numbers you typed, not a diagnosis. The posyandu "
                            "measures with the right scale and board, and the puskesmas decides. See the puskesmas "
                            "when the weight does not go up, the child looks thin or very short, or is ill."))
    lines.append("<i>" + tr.gettext("Source: {source}").format(source=html.escape(GROWTH_SOURCE)) + "</i>")
    return "\n".join(lines)


def need_sex_text(tr: Translator) -> str:
    return tr.gettext("Is the child a boy or a girl? (The standard differs.)")


def need_age_text(tr: Translator) -> str:
    return tr.gettext("How old is the child? Type the age with the numbers, for example “2 thn 9 kg” or “14 bulan "
                      "70 cm”.")


def over_five_text(tr: Translator) -> str:
    return tr.gettext("The growth standard the posyandu uses is for children under five. For an older child, please "
                      "ask the puskesmas.")


__all__ = [
    "age_answer_text", "age_words", "choose_child_text", "expected_text", "immunisation_text", "need_age_text",
    "need_sex_text", "not_linked_text", "over_five_text", "schedule_text", "score_text", "status_text",
]
