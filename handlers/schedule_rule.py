"""`/jadwal`, the monthly rule (not a journey module: handlers/schedule.py registers these steps): guided
(weekday → week → start → end) or typed whole ("Selasa minggu ke-2 08.00-11.00"), a preview, then save."""

from __future__ import annotations

import datetime as dt
import re

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import BotContext
from bot.i18n import Translator
from bot.services import schedule as svc
from bot.services.schedule import LAST_WEEK, WEEK_NAMES, WEEKDAY_NAMES, Rule, RuleParseError
from handlers.schedule_shared import (
    CONFIRM,
    END,
    START,
    WEEK,
    WEEKDAY,
    card,
    data,
    hhmm,
    in_scope,
    kb,
    reply,
    session_line,
    today,
)

START_TIMES = ("07:00", "07:30", "08:00", "08:30", "09:00")
END_TIMES = ("10:00", "11:00", "12:00")

_TIME_TYPED = re.compile(r"^\s*(?:jam|pukul|pkl)?\s*(\d{1,2})(?:[.:](\d{2}))?\s*$", re.IGNORECASE)


def _typed_time(text: str) -> dt.time | None:
    m = _TIME_TYPED.match(text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _weekday_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    names = [(tr.gettext(WEEKDAY_NAMES[i]), f"jadwal:wd:{i}") for i in range(7)]
    return kb([names[0:3], names[3:6], names[6:7]])


async def edit_pressed(update: Update, context: BotContext) -> int:
    tr = context.tr
    await reply(update, tr.gettext(
        "On which day is the posyandu? Choose the weekday,\n"
        "or type the whole rule, e.g. “Selasa minggu ke-2 08.00-11.00” or “tanggal 15 08.00”."),
        _weekday_keyboard(tr))
    return WEEKDAY


async def weekday_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    wd = callbacks.JADWAL_WEEKDAY.parse(update.callback_query.data).number("weekday")
    data(context)["weekday"] = wd
    weeks = [(tr.gettext(WEEK_NAMES[w]), f"jadwal:wk:{w}") for w in (1, 2, 3, 4, LAST_WEEK)]
    await reply(update, tr.gettext("{weekday} of which week of the month?").format(
        weekday=tr.gettext(WEEKDAY_NAMES[wd])), kb([weeks]))
    return WEEK


async def week_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    tr = context.tr
    data(context)["week"] = callbacks.JADWAL_WEEK.parse(update.callback_query.data).number("week")
    times = [(svc.fmt_time(hhmm(t), tr.lang), f"jadwal:st:{t.replace(':', '')}") for t in START_TIMES]
    await reply(update, tr.gettext("What time does it start? Choose, or type the time, e.g. 08.30."), kb([times]))
    return START


async def _ask_end(update: Update, context: BotContext) -> int:
    tr = context.tr
    start = hhmm(data(context)["start"])
    times = [(svc.fmt_time(hhmm(t), tr.lang), f"jadwal:en:{t.replace(':', '')}") for t in END_TIMES
             if hhmm(t) > start]
    await reply(update, tr.gettext("Until what time? Choose, or type the time, e.g. 11.00."),
                kb([times, [(tr.gettext("No end time"), "jadwal:en:-")]]))
    return END


async def start_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    data(context)["start"] = callbacks.JADWAL_START.parse(update.callback_query.data).time("time").strftime("%H:%M")
    return await _ask_end(update, context)


async def start_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    value = _typed_time(update.effective_message.text)
    if value is None:
        await update.effective_message.reply_text(svc.rule_error_text("bad_time", context.tr))
        return START
    data(context)["start"] = value.strftime("%H:%M")
    return await _ask_end(update, context)


async def end_pressed(update: Update, context: BotContext) -> int:
    assert update.callback_query
    pressed = update.callback_query.data
    end = None if callbacks.JADWAL_NO_END.matches(pressed) else callbacks.JADWAL_END.parse(pressed).time("time")
    if end is not None and end <= hhmm(data(context)["start"]):
        return await _ask_end(update, context)  # a forged end before the start: ask again
    data(context)["end"] = end.strftime("%H:%M") if end is not None else None
    return await _confirm_guided(update, context)


async def end_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    tr = context.tr
    value = _typed_time(update.effective_message.text)
    if value is None:
        await update.effective_message.reply_text(svc.rule_error_text("bad_time", tr))
        return END
    if value <= hhmm(data(context)["start"]):
        await update.effective_message.reply_text(svc.rule_error_text("end_before_start", tr))
        return END
    data(context)["end"] = value.strftime("%H:%M")
    return await _confirm_guided(update, context)


async def _confirm_guided(update: Update, context: BotContext) -> int:
    d = data(context)
    rule = Rule("weekday", hhmm(d["start"]), hhmm(d["end"]) if d.get("end") else None,
                weekday=int(d["weekday"]), week=int(d["week"]))
    return await _confirm(update, context, rule)


async def rule_typed(update: Update, context: BotContext) -> int:
    assert update.effective_message and update.effective_message.text
    try:
        rule = svc.parse_rule(update.effective_message.text[:200])
    except RuleParseError as exc:
        await update.effective_message.reply_text(svc.rule_error_text(exc.code, context.tr))
        return WEEKDAY
    return await _confirm(update, context, rule)


async def _confirm(update: Update, context: BotContext, rule: Rule) -> int:
    tr = context.tr
    d = data(context)
    d["rule"] = rule.to_json()
    info = await svc.posyandu_info(context.runtime.repos, int(d["pid"]))
    assert info is not None
    preview = svc.upcoming(svc.PosyanduInfo(info.id, info.name, info.place, info.timezone, rule), [],
                           today(context, info.timezone), 3)
    lines = [tr.gettext("New schedule: {rule}").format(rule=svc.describe_rule(rule, tr)),
             tr.gettext("The next three dates would be:"), *[session_line(s, tr) for s in preview],
             tr.gettext("Save it?")]
    await reply(update, "\n".join(lines), kb([[(tr.gettext("✅ Save"), "jadwal:save"),
                                              (tr.gettext("✖️ Cancel"), "jadwal:back")]]))
    return CONFIRM


@in_scope
async def save_pressed(update: Update, context: BotContext) -> int:
    assert update.effective_user
    d = data(context)
    rule = svc.load_rule(d.get("rule"))
    if rule is None:
        return await card(update, context)
    await context.runtime.repos.posyandu.set_schedule_rule(int(d["pid"]), rule.to_json(),
                                                           actor_id=update.effective_user.id)
    d.pop("rule", None)
    return await card(update, context, context.tr.gettext("✅ Schedule saved."))
