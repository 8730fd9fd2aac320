"""Telling linked parents about a new measurement, after the cadre has seen the result card.

No telegram imports: the handler passes a `send` callable that returns how the delivery went, so this
module decides who gets what (active, not opted out, in their own language) and what a block means.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.growth.status import Assessment
from bot.i18n import get_translator
from bot.render.cards import parent_visit_message
from bot.services.measurement import Saved
from storage import Repositories
from storage.models import Child

log = logging.getLogger(__name__)

# A push about an entry older than this is news from the past (a back-dated record being typed in late): the
# parent already heard at the visit, and a late "take your child to the puskesmas today" would alarm wrongly.
MAX_PUSH_AGE_DAYS = 7


class Delivery(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the parent blocked the bot
    FAILED = "failed"  # anything else (network, 400): logged, the cadre is not disturbed


@dataclass(frozen=True)
class Notice:
    user_id: int
    lang: str
    text: str
    child_id: int
    child_first_name: str


Send = Callable[[Notice], Awaitable[Delivery]]


@dataclass
class NotifyReport:
    sent: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # opted out or inactive
    withheld: str | None = None  # why no parent was told at all (see `withhold_reason`)


async def withhold_reason(repos: Repositories, child: Child, saved: Saved, today: dt.date) -> str | None:
    """Why this entry must not be pushed to the parents (None: push it).

    - "remeasure": a value WHO calls implausible was kept as "perlu ukur ulang": nothing to tell until corrected;
    - "not_counted": another visit of the month counts (a re-measurement entered before a later one);
    - "old": measured more than MAX_PUSH_AGE_DAYS ago;
    - "not_newest": back-dated, the child has a later measurement (the parent would get an outdated status);
    - "unchanged": a re-measurement in the same month that says what the parent was already told.
    """
    m = saved.measurement
    if saved.needs_remeasure:
        return "remeasure"
    if not saved.counted:
        return "not_counted"
    if (today - m.measured_on).days > MAX_PUSH_AGE_DAYS:
        return "old"
    if not saved.newest:
        return "not_newest"
    if saved.corrected is None and _same_story_this_month(saved):
        return "unchanged"
    return None


def _same_story_this_month(saved: Saved) -> bool:
    """An earlier valid visit this month already told the parent the same categories, weighing and referral."""
    month = saved.status.month_of(saved.measurement.id)
    if month is None:
        return False
    now = saved.assessment
    earlier = [a for a in month.visits if a.valid and a.visit.id != now.visit.id
               and (a.visit.measured_on, a.visit.id) < (now.visit.measured_on, now.visit.id)]
    if not earlier:
        return False
    before = earlier[-1]

    def story(a: Assessment) -> tuple[object, ...]:
        cats = tuple(sorted((ind.value, c.code) for ind, c in a.growth.categories.items() if c is not None))
        weighing = a.weighing.status if a.weighing else None
        return cats, a.reasons, weighing

    return story(before) == story(now)


async def _next_session_text(repos: Repositories, posyandu_id: int, after: dt.date, lang: str) -> str | None:
    """The next posyandu day, from the reminders engineer's schedule service (None when unknown)."""
    try:
        from bot.services.schedule import next_session
    except ImportError:  # the schedule service is optional for this message
        return None
    try:
        session = await next_session(repos, posyandu_id, after)
    except Exception:  # a schedule problem must never stop the parent's message
        log.warning("next_session failed for posyandu %s", posyandu_id, exc_info=True)
        return None
    if session is None:
        return None
    return str(session.when(get_translator(lang)))


async def build_notices(repos: Repositories, child: Child, saved: Saved, today: dt.date) -> tuple[list[Notice],
                                                                                                    list[int]]:
    """One notice per linked parent who wants pushes, in that parent's language; and who was skipped."""
    guardians = await repos.guardians.guardians_of(child.id)
    notices: list[Notice] = []
    skipped: list[int] = []
    if not guardians:
        return notices, skipped
    posyandu = await repos.posyandu.find_by_id(child.posyandu_id)
    posyandu_name = posyandu.name if posyandu else ""
    sessions: dict[str, str | None] = {}
    for parent in guardians:
        if not parent.active or parent.opted_out:
            skipped.append(parent.telegram_id)
            continue
        lang = parent.language or "id"
        if lang not in sessions:
            sessions[lang] = await _next_session_text(repos, child.posyandu_id, today + dt.timedelta(days=1), lang)
        tr = get_translator(lang)
        text = parent_visit_message(tr, parent_name=parent.display_name or tr.gettext("Parent"), child=child,
                                    saved=saved, posyandu_name=posyandu_name, today=today,
                                    next_session=sessions[lang])
        first = child.name.split()[0] if child.name.split() else child.name
        notices.append(Notice(user_id=parent.telegram_id, lang=tr.lang, text=text, child_id=child.id,
                              child_first_name=first))
    return notices, skipped


async def notify_parents(repos: Repositories, child: Child, saved: Saved, today: dt.date, send: Send) -> NotifyReport:
    """Send each notice; a parent who blocked the bot is marked inactive (no more pushes)."""
    report = NotifyReport()
    report.withheld = await withhold_reason(repos, child, saved, today)
    if report.withheld is not None:
        log.info("no parent notice for measurement %s of child %s (%s)", saved.measurement.id, child.id,
                 report.withheld)
        return report
    return await send_notices(repos, child, saved, today, send, report)


async def send_notices(repos: Repositories, child: Child, saved: Saved, today: dt.date, send: Send,
                       report: NotifyReport | None = None) -> NotifyReport:
    """The sending half of `notify_parents`, for an entry `withhold_reason` already let through."""
    report = report or NotifyReport()
    notices, report.skipped = await build_notices(repos, child, saved, today)
    for notice in notices:
        outcome = await send(notice)
        if outcome is Delivery.SENT:
            report.sent.append(notice.user_id)
        elif outcome is Delivery.BLOCKED:
            report.blocked.append(notice.user_id)
            await repos.users.mark_blocked(notice.user_id)
            log.info("parent %s blocked the bot; marked inactive", notice.user_id)
        else:
            report.failed.append(notice.user_id)
            log.warning("notification to parent %s failed (child %s)", notice.user_id, child.id)
    return report
