"""One-line entries of the lists (/daftar, follow-up): a child's month in the words the card uses."""

from __future__ import annotations

import html

from bot.growth.status import REASON_LABELS, WEIGHING_REASONS, Reason
from bot.i18n import Translator
from storage.status_queries import ChildMonth, StatusRow


def _name(name: str, limit: int = 40) -> str:
    name = " ".join(name.split())
    return html.escape(name if len(name) <= limit else name[: limit - 1] + "…")


def weighing_word(tr: Translator, weighing: str | None) -> str | None:
    """N, T, 2T, O, B, or "belum dinilai" (too soon): the stored weighing status as the card says it."""
    if weighing is None:
        return None
    return tr.gettext("not judged") if weighing == "-" else weighing


def status_words(tr: Translator, status: StatusRow) -> list[str]:
    """`T`, `pendek`, `rujuk` ... for a stored month; "perlu ukur ulang" when its latest visit needs it."""
    words: list[str] = []
    if status.counted:
        if (w := weighing_word(tr, status.weighing)) is not None:
            words.append(w)
        for code in status.reasons:
            reason = Reason(code)
            if reason not in WEIGHING_REASONS:
                words.append(tr.gettext(REASON_LABELS[reason]))
        if status.urgent:
            words.append(tr.gettext("refer today"))
        elif status.refer:
            words.append(tr.gettext("refer"))
    if status.remeasure:
        words.append(tr.gettext("needs re-measuring"))
    return words


def month_mark(item: ChildMonth) -> str:
    s = item.status
    if s is None:
        return "⬜"
    if s.counted and s.refer:
        return "🔴"
    if s.remeasure or not s.counted:
        return "⚠️"
    return "✅"


def month_line(tr: Translator, item: ChildMonth) -> str:
    """`🔴 Rina Lestari (A2) · 3 Des · T · pendek, rujuk`."""
    line = f"{month_mark(item)} {_name(item.child.name)} ({item.child.code})"
    s = item.status
    if s is not None:
        day = s.measured_on
        if day is not None:
            line += " · " + tr.short_date(day)
        words = status_words(tr, s)
        if words:
            line += " · " + html.escape(", ".join(words))
    return line
