"""Parent journey, `/anakku` (not a journey module: handlers/parent.py registers these): each linked child's
latest results in plain words, the weight trend, what to do, the next posyandu, the Buku KIA section, and the
growth charts behind its buttons."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction

from bot import callbacks
from bot.context import BotContext
from bot.growth.advice import Audience, parent_summary, render_advice
from bot.growth.age import age_text
from bot.growth.faltering import WeighStatus
from bot.i18n import N_, Translator
from bot.services import parent as svc
from handlers.parent_link import contact_keyboard, first_name, how_to_link
from handlers.services_parent import kia_section
from storage.models import Position

log = logging.getLogger(__name__)


def _grams(tr: Translator, grams: int) -> str:
    return tr.gettext("{g} g").format(g=abs(grams))


def trend_lines(report: svc.ChildReport, tr: Translator) -> list[str]:
    """How the weight changed since the weighing the status function compared with, in plain words."""
    latest = report.latest
    name = first_name(report.child)
    if latest is None:
        return []
    faltering = latest.faltering
    if report.previous is None and (faltering is None or faltering.reference_on is None):
        return [tr.gettext("This is {name}'s first measurement here; next month you will see the trend.").format(
            name=name)]
    lines: list[str] = []
    if faltering is not None and faltering.reference_on is not None and faltering.gain_g is not None:
        since, change = tr.date(faltering.reference_on), faltering.gain_g
        if faltering.two_t:
            lines.append(tr.gettext("⚠️ Weight has not gone up enough for two months in a row (2T)."))
        elif faltering.status is WeighStatus.N:
            lines.append(tr.gettext("📈 Since {date}: weight went up {grams}. Good!").format(
                date=since, grams=_grams(tr, change)))
        elif faltering.status is WeighStatus.T:
            minimum = _grams(tr, faltering.kbm_g or 0)
            if change > 0:
                text = tr.gettext("⚠️ Since {date}: weight went up only {grams}; at this age it should go up at "
                                  "least {minimum}.")
            elif change == 0:
                text = tr.gettext("⚠️ Since {date}: weight did not change; at this age it should go up at least "
                                  "{minimum}.")
            else:
                text = tr.gettext("⚠️ Since {date}: weight went down {grams}; at this age it should go up at least "
                                  "{minimum}.")
            lines.append(text.format(date=since, grams=_grams(tr, change), minimum=minimum))
        elif change >= 0:
            # Not about a month apart (O, or weighed again within days): what changed, without an N/T verdict.
            lines.append(tr.gettext("Since {date}: weight went up {grams}.").format(
                date=since, grams=_grams(tr, change)))
        else:
            lines.append(tr.gettext("Since {date}: weight went down {grams}.").format(
                date=since, grams=_grams(tr, change)))
    cm = report.length_change_cm
    if cm is not None and cm > 0:
        lines.append(tr.gettext("Height grew {cm} cm.").format(cm=tr.decimal(cm, 1)))
    return lines


def next_session_line(report: svc.ChildReport, tr: Translator) -> str:
    session = report.next_session
    if session is None:
        return tr.gettext("📅 Ask your cadre for the date of the next posyandu.")
    when = session.when_text or tr.date(session.date)
    return tr.gettext("📅 Next posyandu: {when}.").format(when=html.escape(when))


def report_text(report: svc.ChildReport, tr: Translator) -> str:
    child = report.child
    name = first_name(child)
    lines = [f"👶 <b>{html.escape(child.name)}</b> · {age_text(report.age_days, tr)}"]
    latest = report.latest
    if latest is None:
        lines.append(tr.gettext("{name} has not been weighed at the posyandu yet.").format(name=name))
        lines.append(tr.gettext("Bring {name} and the Buku KIA to the next posyandu.").format(name=name))
        lines.append(next_session_line(report, tr))
        return "\n".join(lines)
    m = latest.measurement
    lines.append(tr.gettext("Last measured: {date}, {posyandu}").format(
        date=tr.date(m.measured_on), posyandu=html.escape(report.posyandu_name)))
    sizes = []
    if m.weight_kg is not None:
        sizes.append(tr.gettext("weight {kg} kg").format(kg=tr.measure(m.weight_kg)))
    if m.length_cm is not None:
        label = tr.gettext("length {cm} cm") if m.position == Position.LYING else tr.gettext("height {cm} cm")
        sizes.append(label.format(cm=tr.measure(m.length_cm)))
    if sizes:
        lines.append(" · ".join(sizes))
    lines.append("")
    lines += [f"• {html.escape(s)}" for s in parent_summary(latest.growth, tr)]
    trend = trend_lines(report, tr)
    if trend:
        lines.append("")
        lines += trend
    advice = render_advice(latest.advice, tr, Audience.PARENT)
    if advice:
        lines.append("")
        lines.append(tr.gettext("What you can do:"))
        lines += [f"• {html.escape(a)}" for a in advice[:3]]
    if latest.urgent:
        lines.append("🔴 " + tr.gettext("Please take {name} to the puskesmas today.").format(name=name))
    elif latest.refer:
        lines.append("⚠️ " + tr.gettext("Please take {name} to the puskesmas this week, with the Buku KIA.").format(
            name=name))
    lines.append("")
    lines.append(next_session_line(report, tr))
    return "\n".join(lines)


def report_keyboard(report: svc.ChildReport, tr: Translator) -> InlineKeyboardMarkup:
    row = []
    if report.latest is not None:
        row.append(InlineKeyboardButton(tr.gettext("📈 {name}'s chart").format(name=first_name(report.child)),
                                        callback_data=f"ortu:grafik:{report.child.id}:wfa"))
    row.append(InlineKeyboardButton(tr.gettext("❓ Ask about nutrition"), callback_data="tanya:menu"))
    return InlineKeyboardMarkup([row])


async def send_reports(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user and chat
    tr = context.tr
    rt = context.runtime
    children = await svc.linked_children(rt.repos, user.id)
    if not children:
        await context.bot.send_message(
            chat.id, tr.gettext("No child is linked to your account yet.") + "\n\n" + how_to_link(tr),
            reply_markup=contact_keyboard(tr))
        return
    today = rt.today()
    for child in children:
        report = await svc.child_report(rt.repos, child, today, tr)
        keyboard = report_keyboard(report, tr)
        # The immunisation and vitamin A record, like the Buku KIA page, and a button to its picture (issue 14).
        kia_lines, kia_button = await kia_section(rt.repos, child, today, tr)
        text = report_text(report, tr) + "\n\n" + "\n".join(kia_lines)
        keyboard = InlineKeyboardMarkup([*keyboard.inline_keyboard, [kia_button]])
        await context.bot.send_message(chat.id, text, reply_markup=keyboard)


async def anakku(update: Update, context: BotContext) -> None:
    await send_reports(update, context)


async def anakku_button(update: Update, context: BotContext) -> None:
    assert update.callback_query
    await update.callback_query.answer()
    await send_reports(update, context)


CHART_CAPTIONS = {
    "wfa": N_("📈 Weight-for-age of {name}. Green line: average of healthy children; between the red lines is "
              "normal."),
    "lhfa": N_("📏 Length/height-for-age of {name}. Below the lower red line means short for age (stunting)."),
    "wflh": N_("⚖️ Weight-for-length/height of {name}. Below the lower red line means thin for height."),
}
CHART_LABELS = {"wfa": N_("📈 Weight"), "lhfa": N_("📏 Height"), "wflh": N_("⚖️ Weight/height")}


async def chart_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query and user and chat
    tr = context.tr
    repos = context.runtime.repos
    data = callbacks.ORTU_CHART.parse(query.data)
    child_id, indicator = data.id("child"), data.text("indicator")
    if not await svc.can_view_child(repos, user.id, child_id):
        log.warning("user %s asked for the chart of child %s without a link", user.id, child_id)
        await query.answer(tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return
    child = await repos.children.find_by_id(child_id)
    if child is None:
        await query.answer(tr.gettext("Sorry, you can only see your own linked children."), show_alert=True)
        return
    await query.answer()
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    png = await svc.chart_png(repos, child, indicator, tr)
    if png is None:
        await context.bot.send_message(chat.id, tr.gettext("There are no measurements to draw yet."))
        return
    others = [InlineKeyboardButton(tr.gettext(label), callback_data=f"ortu:grafik:{child_id}:{key}")
              for key, label in CHART_LABELS.items() if key != indicator]
    caption = tr.gettext(CHART_CAPTIONS[indicator]).format(name=first_name(child))
    await context.bot.send_photo(chat.id, png, caption=caption, reply_markup=InlineKeyboardMarkup([others]))
