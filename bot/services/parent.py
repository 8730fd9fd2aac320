"""The parent journey's logic: linking to children (code or phone), what a parent may see, the child report,
growth charts, push opt-out and deleting the parent's own data. No telegram imports (handlers/parent*.py render).

Privacy rules kept here: a parent only ever sees children linked to their own Telegram account
(`can_view_child`); link codes are rate-limited per user so they can't be guessed; a shared contact is only
accepted when it is the sender's own number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.growth.chart import render_growth_chart
from bot.growth.models import GrowthResult, Indicator
from bot.growth.models import Sex as GrowthSex
from bot.services import measurement as measurement_svc
from bot.services import status as status_svc
from bot.services.phone import normalise_phone
from storage import parent_queries as q
from storage.errors import MSG_INVITE_EXPIRED, MSG_INVITE_USED, Conflict, InviteInvalid, NotFound
from storage.models import Child, ChildStatus, Measurement, Role, User

log = logging.getLogger(__name__)

# Guessing: a code is 8 characters from 30 (about 40 bits) and lives 7 days; 5 wrong tries an hour per user
# makes guessing hopeless while a parent who mistypes twice is not bothered.
MAX_WRONG_CODES = 5
CODE_WINDOW = dt.timedelta(hours=1)


# ------------------------------------------------------------------ linking


class LinkOutcome(StrEnum):
    LINKED = "linked"  # linked now
    ALREADY = "already"  # this user had already used this code / was already linked
    EXPIRED = "expired"
    USED = "used"  # used by someone else
    INVALID = "invalid"  # no such code
    LOCKED = "locked"  # too many wrong codes: wait
    CLOSED = "closed"  # the account was deactivated: a code does not reopen it, nor show whose code it was


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    children: tuple[Child, ...] = ()
    wait: dt.timedelta | None = None  # LOCKED: how long until the next try is allowed
    attempts_left: int | None = None  # after a wrong code


async def code_lock(repos: Any, user_id: int, now: dt.datetime) -> dt.timedelta | None:
    """How long the user must wait before trying another code (None: may try now)."""
    failures = await q.failed_code_attempts(repos.db, user_id, now - CODE_WINDOW)
    if len(failures) < MAX_WRONG_CODES:
        return None
    # The window slides: the oldest counted failure leaves it first.
    return max(failures[-MAX_WRONG_CODES] + CODE_WINDOW - now, dt.timedelta(minutes=1))


async def note_wrong_code(repos: Any, user_id: int, now: dt.datetime) -> None:
    """Count a failed code (any kind of invite) towards the user's lock."""
    await q.record_code_attempt(repos.db, user_id, False, now)


async def _failed(repos: Any, user_id: int, now: dt.datetime, outcome: LinkOutcome) -> LinkResult:
    await q.record_code_attempt(repos.db, user_id, False, now)
    failures = await q.failed_code_attempts(repos.db, user_id, now - CODE_WINDOW)
    log.info("parent code refused for user %s: %s (%d in the last hour)", user_id, outcome, len(failures))
    return LinkResult(outcome, attempts_left=max(MAX_WRONG_CODES - len(failures), 0))


async def redeem_code(repos: Any, user_id: int, code: str, now: dt.datetime, *, display_name: str = "",
                      language: str | None = None) -> LinkResult | None:
    """Use a parent link code. None when the code belongs to another kind of invite (cadre, coordinator),
    so other handlers can take it. The lock is checked before the code is looked up, so a locked user learns
    nothing about whether a code exists."""
    wait = await code_lock(repos, user_id, now)
    if wait is not None:
        return LinkResult(LinkOutcome.LOCKED, wait=wait)
    if await _deactivated(repos, user_id):
        log.info("parent code refused for user %s: account deactivated", user_id)
        return LinkResult(LinkOutcome.CLOSED)
    cleaned = "".join(ch for ch in code if ch.isalnum())[:32]
    invite = await repos.invites.find(cleaned) if cleaned else None
    if invite is None:
        return await _failed(repos, user_id, now, LinkOutcome.INVALID)
    if invite.role != Role.PARENT:
        return None
    if invite.used_by == user_id:
        return LinkResult(LinkOutcome.ALREADY, tuple(await linked_children(repos, user_id)))
    if invite.created_by == user_id:
        # The cadre who made the link sees it on screen; it is for the parent, not a way to keep access.
        return await _failed(repos, user_id, now, LinkOutcome.INVALID)
    try:
        invite = await repos.invites.redeem(invite.code, user_id, display_name, language)
    except InviteInvalid as exc:
        outcome = {MSG_INVITE_EXPIRED: LinkOutcome.EXPIRED, MSG_INVITE_USED: LinkOutcome.USED}.get(
            exc.msgid, LinkOutcome.INVALID)
        return await _failed(repos, user_id, now, outcome)
    await q.record_code_attempt(repos.db, user_id, True, now)
    log.info("user %s linked to child %s by code", user_id, invite.child_id)
    children: list[Child] = []
    if invite.child_id is not None:
        child = await repos.children.find_by_id(invite.child_id)
        if child is not None:
            children.append(child)
    return LinkResult(LinkOutcome.LINKED, tuple(children))


@dataclass(frozen=True)
class PhoneLinkResult:
    phone: str | None  # normalised; None when the contact's number was not an Indonesian number
    closed: bool = False  # the account was deactivated: nothing was looked up
    linked: tuple[Child, ...] = ()  # newly linked
    already: tuple[Child, ...] = ()  # were linked before
    posyandu_names: dict[int, str] = field(default_factory=dict)

    @property
    def children(self) -> tuple[Child, ...]:
        return self.linked + self.already

    @property
    def posyandu_count(self) -> int:
        return len({c.posyandu_id for c in self.children})


async def _ensure_parent_role(repos: Any, user_id: int, display_name: str, language: str | None,
                              posyandu_id: int) -> None:
    """Make the user a parent, unless they already have a role (a cadre who is also a mother keeps hers)."""
    user = await repos.users.find(user_id)
    if user is None:
        user = await repos.users.upsert(user_id, display_name, language)
    if user.role is None or user.role == Role.PARENT:
        await repos.users.set_role(user_id, Role.PARENT, posyandu_id=posyandu_id)


async def link_by_phone(repos: Any, user_id: int, phone_text: str, *, display_name: str = "",
                        language: str | None = None) -> PhoneLinkResult:
    """Link the user to every active child whose recorded guardian phone is this number (any posyandu)."""
    if await _deactivated(repos, user_id):
        log.info("phone link refused for user %s: account deactivated", user_id)
        return PhoneLinkResult(phone=None, closed=True)
    phone = normalise_phone(phone_text)
    if phone is None:
        return PhoneLinkResult(phone=None)
    matches = [c for c in await repos.children.find_by_guardian_phone(phone) if c.status == ChildStatus.ACTIVE]
    if not matches:
        log.info("phone shared by user %s matches no child", user_id)
        return PhoneLinkResult(phone=phone)
    have = await repos.guardians.child_ids_of(user_id)
    linked: list[Child] = []
    already: list[Child] = []
    await _ensure_parent_role(repos, user_id, display_name, language, matches[0].posyandu_id)
    for child in matches:
        if child.id in have:
            already.append(child)
            continue
        await repos.guardians.link(child.id, user_id, actor_id=user_id)
        linked.append(child)
    names = {p.id: p.name for p in await repos.posyandu.get_many(sorted({c.posyandu_id for c in matches}))}
    log.info("user %s linked by phone to children %s", user_id, [c.id for c in linked])
    return PhoneLinkResult(phone=phone, linked=tuple(linked), already=tuple(already), posyandu_names=names)


# ------------------------------------------------------------------ what a parent may see


async def _deactivated(repos: Any, user_id: int) -> bool:
    """Known and switched off. (A user who only blocked the bot is active again once they write: the
    handlers' first step, handlers/common.remember_user, undoes that before any journey runs.)"""
    user = await repos.users.find(user_id)
    return user is not None and not user.active


async def _may_act(repos: Any, user_id: int) -> bool:
    """A deactivated account sees nothing (a user who merely blocked the bot is reactivated on writing)."""
    user = await repos.users.find(user_id)
    return user is not None and user.active


async def linked_children(repos: Any, user_id: int) -> list[Child]:
    """The user's children that are still followed by a posyandu (youngest last, as stored)."""
    if not await _may_act(repos, user_id):
        return []
    return [c for c in await repos.guardians.children_of(user_id) if c.status == ChildStatus.ACTIVE]


async def can_view_child(repos: Any, user_id: int, child_id: int) -> bool:
    """A parent sees a child only through their own link (never by code, id or name)."""
    return await _may_act(repos, user_id) and child_id in await repos.guardians.child_ids_of(user_id)


async def guardians_to_notify(repos: Any, child_id: int) -> list[User]:
    """Linked parents who accept pushes (active, not opted out): for notices about this child."""
    return [u for u in await repos.guardians.guardians_of(child_id) if u.active and not u.opted_out]


# ------------------------------------------------------------------ the child report (/anakku)


@dataclass(frozen=True)
class NextSession:
    date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    place: str
    when_text: str | None = None  # the schedule service's own wording, when it gave one


@dataclass(frozen=True)
class ChildReport:
    child: Child
    age_days: int
    posyandu_name: str
    latest: measurement_svc.Saved | None
    previous: Measurement | None  # the measurement before the latest (any gap), for the trend
    measurement_count: int
    next_session: NextSession | None

    @property
    def weight_change_g(self) -> int | None:
        if self.latest is None or self.previous is None:
            return None
        now, before = self.latest.measurement.weight_kg, self.previous.weight_kg
        return None if now is None or before is None else round((now - before) * 1000)

    @property
    def length_change_cm(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        now, before = self.latest.measurement.length_cm, self.previous.length_cm
        return None if now is None or before is None else round(now - before, 1)


async def next_posyandu(repos: Any, posyandu_id: int, after: dt.date, tr: Any | None = None) -> NextSession | None:
    """The next session from the reminders' schedule service; None when no schedule is known."""
    try:
        from bot.services.schedule import next_session
    except ImportError:  # the schedule service is optional for this journey
        return None
    try:
        session = await next_session(repos, posyandu_id, after)
    except Exception:  # a broken schedule must not hide the child's report
        log.exception("next session of posyandu %s could not be computed", posyandu_id)
        return None
    if session is None:
        return None
    when_text = None
    if tr is not None and hasattr(session, "when"):
        try:
            when_text = str(session.when(tr))
        except Exception:
            when_text = None
    return NextSession(date=session.date, start_time=getattr(session, "start_time", None),
                       end_time=getattr(session, "end_time", None), place=str(getattr(session, "place", "")),
                       when_text=when_text)


async def child_report(repos: Any, child: Child, today: dt.date, tr: Any | None = None) -> ChildReport:
    """What /anakku shows: the visit that counts in the child's latest measured month (the status function's
    answer, as the cadre's lists have it), and the visit before it for the trend."""
    status = await status_svc.child_status(repos, child)
    latest: measurement_svc.Saved | None = None
    previous: Measurement | None = None
    month = status.latest_counted
    if month is not None and month.counted is not None:
        counted = month.counted
        m = status.row(counted.visit.id)
        latest = measurement_svc.Saved(measurement=m, growth=counted.growth, status=status,
                                       newest=not any(a.visit.measured_on > m.measured_on for a in status.assessments))
        earlier = [a for a in status.assessments if a.valid and a.visit.measured_on < m.measured_on]
        previous = status.row(earlier[-1].visit.id) if earlier else None
    posyandu = await repos.posyandu.find_by_id(child.posyandu_id)
    return ChildReport(
        child=child,
        age_days=max((today - child.birth_date).days, 0),
        posyandu_name=posyandu.name if posyandu else "",
        latest=latest,
        previous=previous,
        measurement_count=sum(1 for a in status.assessments if a.valid),
        next_session=await next_posyandu(repos, child.posyandu_id, today, tr),
    )


# ------------------------------------------------------------------ growth chart


CHART_INDICATORS = {"wfa": Indicator.WFA, "lhfa": Indicator.LHFA, "wflh": Indicator.WFLH}


def growth_results(child: Child, history: list[Measurement]) -> list[GrowthResult]:
    """Growth results of the plausible measurements (oldest first), recomputed with bot.growth."""
    out: list[GrowthResult] = []
    for m in history:
        if m.implausible or m.age_days > 1826:
            continue
        try:
            out.append(measurement_svc.result_of(child, m))
        except ValueError:  # a row the growth engine refuses can't be drawn; the rest still can
            log.warning("measurement %s of child %s not charted", m.id, child.id)
    return out


async def chart_png(repos: Any, child: Child, indicator: str, tr: Any) -> bytes | None:
    """PNG of the child's growth on the WHO curves (wfa, lhfa or wflh); None when nothing can be drawn."""
    ind = CHART_INDICATORS.get(indicator)
    if ind is None:
        return None
    results = growth_results(child, await repos.measurements.history_for_child(child.id))
    if ind is Indicator.LHFA:
        results = [r for r in results if r.z.get(Indicator.LHFA) is not None]
    elif ind is Indicator.WFLH:
        results = [r for r in results if r.z.get(Indicator.WFLH) is not None]
    else:
        results = [r for r in results if r.weight_kg is not None]
    if not results:
        return None
    first_name = child.name.split()[0] if child.name.split() else child.name
    # matplotlib takes a few hundred ms: keep the event loop free for other chats meanwhile.
    return await asyncio.to_thread(render_growth_chart, ind, GrowthSex(child.sex.value), results, tr,
                                   title=first_name)


# ------------------------------------------------------------------ control and privacy


async def set_pushes(repos: Any, user_id: int, enabled: bool, *, display_name: str = "",
                     language: str | None = None) -> None:
    """/berhenti and /mulai: the opted-out flag every push (reminders, tips, broadcasts, notices) respects."""
    try:
        await repos.users.set_opt_out(user_id, not enabled)
    except NotFound:
        await repos.users.upsert(user_id, display_name, language)
        await repos.users.set_opt_out(user_id, not enabled)
    log.info("user %s pushes %s", user_id, "on" if enabled else "off")


class DeleteOutcome(StrEnum):
    DELETED = "deleted"  # the parent's account and links are gone
    UNLINKED_STAFF = "unlinked_staff"  # a cadre/coordinator: links to their own children removed, account kept
    NOTHING = "nothing"  # no data was held


async def delete_my_data(repos: Any, user_id: int) -> DeleteOutcome:
    """Forget a parent (links, tips and reminders sent, bot state, the account). Children's health records
    stay with the posyandu. Staff keep their account (their role is the puskesmas' decision) but lose links."""
    user = await repos.users.find(user_id)
    if user is None:
        return DeleteOutcome.NOTHING
    if user.role not in (None, Role.PARENT):
        for child_id in await repos.guardians.child_ids_of(user_id):
            await repos.guardians.unlink(child_id, user_id, actor_id=user_id)
        return DeleteOutcome.UNLINKED_STAFF
    try:
        await repos.users.delete_parent_data(user_id, actor_id=user_id)
    except Conflict:  # became staff in between
        return DeleteOutcome.UNLINKED_STAFF
    if not user.active:
        # A deactivated account keeps a bare row (the id, no name): otherwise deleting one's data and sharing
        # the phone number again would undo the posyandu's decision.
        await repos.users.upsert(user_id, "", user.language)
        await repos.users.set_active(user_id, False, actor_id=user_id)
    log.info("user %s deleted their parent data", user_id)
    return DeleteOutcome.DELETED
