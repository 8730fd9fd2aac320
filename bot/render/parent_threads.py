"""The words of "ask a person": the question as a cadre (or coordinator) sees it, the answer as the parent sees it.

Privacy: a copy shows the child's code, sex, age and latest status, never the parent's phone number or the
child's name (the cadre looks the child up by code). Every piece of user data is escaped here.
"""

from __future__ import annotations

import datetime as dt
import html

from bot.growth.age import age_text
from bot.growth.models import Indicator
from bot.growth.status import REASON_LABELS, WEIGHING_REASONS
from bot.i18n import Translator, fmt_month
from bot.render.cards import category_text, indicator_name, sex_text
from bot.services.status import ChildStatus
from storage.models import Child
from storage.thread_queries import Thread

# The first characters of a copy: handlers/thread_replies.py recognises a reply to a copy by them.
QUESTION_MARK = "🙋"
ESCALATED_MARK = "⏰"
MARKS = (QUESTION_MARK, ESCALATED_MARK)


def status_line(status: ChildStatus, tr: Translator) -> str:
    """`Status (November 2026): BB/U Berat badan normal · PB/U Pendek (stunting) · T · rujuk: pendek, T`."""
    month = status.latest_counted
    if month is None or month.counted is None:
        return tr.gettext("Status: not weighed at the posyandu yet")
    counted = month.counted
    growth = counted.growth
    parts = []
    for ind in (Indicator.WFA, Indicator.LHFA, Indicator.WFLH):
        cat = growth.categories.get(ind)
        if cat is not None:
            parts.append(f"{indicator_name(ind, growth.age_days, tr)} {category_text(cat, tr)}")
    weighing = counted.weighing
    if weighing is not None:
        parts.append("2T" if weighing.two_t else weighing.status.value)
    line = tr.gettext("Status ({month}): {parts}").format(month=fmt_month(month.month, tr.lang),
                                                          parts=" · ".join(parts) or "-")
    # T and 2T are on the line already; the other reasons say why the child needs follow-up.
    reasons = [r for r in counted.reasons if r not in WEIGHING_REASONS] or list(counted.reasons)
    if reasons:
        line += "\n" + tr.gettext("Needs follow-up: {reasons}").format(
            reasons=", ".join(html.escape(tr.gettext(REASON_LABELS[r])) for r in reasons))
    return line


def copy_text(thread: Thread, tr: Translator, *, posyandu_name: str, child: Child | None, status: str | None,
              today: dt.date, escalated: bool, answered_by: str | None = None) -> str:
    """The question as a staff member receives it; they answer with a Telegram reply to this message."""
    if escalated:
        head = tr.gettext("{mark} Not answered for a working day — parent's question #{id} · {posyandu}").format(
            mark=ESCALATED_MARK, id=thread.id, posyandu=html.escape(posyandu_name))
    else:
        head = tr.gettext("{mark} Parent's question #{id} · {posyandu}").format(
            mark=QUESTION_MARK, id=thread.id, posyandu=html.escape(posyandu_name))
    lines = [head]
    if child is not None:
        days = max((today - child.birth_date).days, 0)
        lines.append(tr.gettext("Child: {code} · {sex} · {age}").format(
            code=html.escape(child.code), sex=sex_text(child.sex, tr), age=age_text(days, tr)))
    if status:
        lines.append(status)
    lines.append(tr.gettext("Asked: {date}").format(date=tr.date(thread.created_at.date())))
    lines.append("")
    lines.append(f"«{html.escape(thread.question)}»")
    lines.append("")
    if answered_by is not None:
        lines.append(tr.gettext("✅ Answered by {name}.").format(name=html.escape(answered_by)))
    else:
        lines.append(tr.gettext("↩️ Reply to this message to answer; the bot sends your answer to the parent. The "
                                "parent's phone number is not shown."))
    return "\n".join(lines)


def answer_for_parent(thread: Thread, tr: Translator, *, answerer: str, role_label: str, posyandu_name: str) -> str:
    return "\n".join([
        tr.gettext("💬 Answer from {name} ({role}, {posyandu}) to your question:").format(
            name=html.escape(answerer), role=html.escape(role_label), posyandu=html.escape(posyandu_name)),
        f"<i>«{html.escape(thread.question)}»</i>",
        "",
        html.escape(thread.answer or ""),
    ])


def role_label(role: str, tr: Translator) -> str:
    return {
        "cadre": tr.gettext("posyandu cadre"),
        "health_worker": tr.gettext("health worker"),
        "coordinator": tr.gettext("coordinator"),
        "admin": tr.gettext("coordinator"),
    }.get(role, tr.gettext("posyandu cadre"))


__all__ = ["ESCALATED_MARK", "MARKS", "QUESTION_MARK", "answer_for_parent", "copy_text", "role_label", "status_line"]
