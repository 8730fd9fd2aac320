"""Sponsors (orang tua asuh): invited into a program like staff, they follow its children anonymised, get the
monthly report in the chat and can write to the program's cadres.

Privacy by construction (UU PDP 27/2022): everything a sponsor is shown is built from `AnonChild`, which has no
field for a name, NIK, phone number, address or guardian; the program's report carries counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.services import access
from bot.services import programs as programs_svc
from storage import Repositories
from storage import program_queries as pq
from storage.errors import InviteInvalid
from storage.models import Invite, InviteCreate, Role, Sex
from storage.program_queries import MonthFacts, Program

log = logging.getLogger(__name__)

INVITE_VALID_FOR = dt.timedelta(days=7)
# Roles that keep their account when a sponsor invite is opened by mistake (a staff role outranks a sponsor's).
STAFF_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.CADRE, Role.HEALTH_WORKER, Role.TPK})


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY = "already"  # a member of this program already
    EXPIRED = "expired"
    USED = "used"
    STAFF = "staff"  # a staff account: not turned into a sponsor


@dataclass(frozen=True)
class Join:
    outcome: JoinOutcome
    program: Program | None = None


async def create_invite(repos: Repositories, principal: access.Principal, program: Program) -> Invite:
    """A single-use sponsor invite into `program` (the caller must manage it)."""
    if not await programs_svc.may_manage(repos, principal, program):
        raise programs_svc.ProgramError(programs_svc.MSG_OUTSIDE_SCOPE)
    async with repos.db.transaction():
        invite = await repos.invites.create(InviteCreate(role=Role.SPONSOR, created_by=principal.user_id,
                                                         valid_for=INVITE_VALID_FOR))
        await pq.link_invite(repos.db, invite.code, program.id)
    log.info("sponsor invite for program %s created by %s", program.id, principal.user_id)
    return invite


async def redeem(repos: Repositories, user_id: int, code: str, now: dt.datetime, *, display_name: str = "",
                 language: str | None = None) -> Join | None:
    """Use a sponsor invite; None when `code` is not one (other handlers take it)."""
    invite = await repos.invites.find(code)
    if invite is None or invite.role != Role.SPONSOR:
        return None
    program_id = await pq.program_of_invite(repos.db, invite.code)
    program = await pq.get(repos.db, program_id) if program_id is not None else None
    if program is None:
        return None
    user = await repos.users.find(user_id)
    if invite.used_by == user_id and user is not None and user.role == Role.SPONSOR:
        return Join(JoinOutcome.ALREADY, program)
    if user is not None and user.active and user.role in STAFF_ROLES:
        return Join(JoinOutcome.STAFF, program)
    if invite.expires_at <= now:
        return Join(JoinOutcome.EXPIRED, program)
    try:
        async with repos.db.transaction():
            await repos.invites.redeem(invite.code, user_id, display_name, language)
            await pq.add_member(repos.db, program.id, user_id)
    except InviteInvalid as exc:
        return Join(JoinOutcome.EXPIRED if "expired" in str(exc) else JoinOutcome.USED, program)
    log.info("user %s joined program %s as a sponsor", user_id, program.id)
    return Join(JoinOutcome.JOINED, program)


async def sponsor_programs(repos: Repositories, user_id: int) -> list[Program]:
    """The programs an active sponsor follows (nothing for anyone else)."""
    principal = await access.load_principal(repos, user_id)
    if principal is None:
        return []
    member_of = await pq.member_programs(repos.db, user_id)
    out = []
    for pid in member_of:
        if access.can_follow_program(principal, pid, member_of) and (p := await pq.get(repos.db, pid)) is not None:
            out.append(p)
    return out


async def program_for_sponsor(repos: Repositories, user_id: int, program_id: int) -> Program | None:
    return next((p for p in await sponsor_programs(repos, user_id) if p.id == program_id), None)


# ------------------------------------------------------------------ what a sponsor sees


@dataclass(frozen=True)
class AnonMonth:
    """A stored month without anything that identifies the child."""

    month: dt.date
    haz: float | None
    waz: float | None
    stunted: bool
    severely_stunted: bool
    wasted: bool
    underweight: bool
    weighing: str | None

    @classmethod
    def of(cls, f: MonthFacts) -> AnonMonth:
        return cls(f.month, f.haz, f.waz, f.stunted, f.severely_stunted, f.wasted, f.underweight, f.weighing)


@dataclass(frozen=True)
class AnonChild:
    """One enrolled child as a sponsor sees it: the posyandu code, age, sex, status trend, what it received."""

    code: str
    age_days: int
    sex: Sex
    base: AnonMonth | None
    latest: AnonMonth | None
    received: int
    planned_days: int | None


async def anonymised_children(repos: Repositories, program: Program, today: dt.date) -> list[AnonChild]:
    out = []
    for f in await programs_svc.followed(repos, program, today):
        if f.enrolment.left_on is not None:
            continue
        out.append(AnonChild(
            code=f.child.code, age_days=max(0, (today - f.child.birth_date).days), sex=f.child.sex,
            base=AnonMonth.of(f.base) if f.base else None, latest=AnonMonth.of(f.latest) if f.latest else None,
            received=f.received, planned_days=f.planned_days))
    return sorted(out, key=lambda c: c.code)


async def cadre_recipients(repos: Repositories, program: Program) -> list[int]:
    """The active cadres of the program's posyandu who take messages."""
    return await repos.users.push_recipients_for_posyandu(await programs_svc.posyandu_ids(repos, program),
                                                          parents=False, cadres=True)


async def record_message(repos: Repositories, user_id: int, program: Program, recipients: Collection[int]) -> None:
    """An audit row for a sponsor's message (ids and counts only, never its text)."""
    await repos.audit.record(user_id, "sponsor_message", "program", program.id, {"recipients": len(recipients)})


__all__ = ["AnonChild", "AnonMonth", "Join", "JoinOutcome", "anonymised_children", "cadre_recipients",
           "create_invite", "program_for_sponsor", "record_message", "redeem", "sponsor_programs"]
