"""Link codes for children already registered (/kode_ortu A4): a cadre of the child's posyandu, a coordinator
of its area or an admin gets a fresh one-time code for a parent; the child's unused codes are revoked, so only
the newest one works. Each parent needs their own code (single use): two parents following one child get one
each, and a parent with several children redeems one per child (bot.services.parent.redeem_code).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.services import access
from bot.services.enrolment import PARENT_LINK_VALID, parent_link
from storage import parent_queries as q
from storage.models import Child, ChildStatus, Invite, Role

log = logging.getLogger(__name__)


class CodeOutcome(StrEnum):
    CREATED = "created"
    NOT_STAFF = "not_staff"  # parents and strangers make no codes
    NO_CHILD = "no_child"  # no such child in the staff member's scope (the same answer: codes are not probed)
    INACTIVE = "inactive"  # moved away, died, over five: no new links


@dataclass(frozen=True)
class CodeResult:
    outcome: CodeOutcome
    child: Child | None = None
    invite: Invite | None = None
    revoked: int = 0

    @property
    def valid_days(self) -> int:
        return PARENT_LINK_VALID.days


async def fresh_parent_code(repos: Any, actor_id: int, child_code: str, now: dt.datetime, *,
                            admin: bool = False) -> CodeResult:
    """A new single-use parent code for the child with `child_code`, if the actor may invite its parents."""
    principal = (access.Principal(user_id=actor_id, role=Role.ADMIN) if admin
                 else await access.load_principal(repos, actor_id))
    if principal is None or not principal.active or principal.role not in (Role.CADRE, Role.COORDINATOR, Role.ADMIN):
        return CodeResult(CodeOutcome.NOT_STAFF)
    child = await repos.children.get_by_code(child_code) if child_code.strip() else None
    if child is None:
        return CodeResult(CodeOutcome.NO_CHILD)
    if not access.can_invite_parent_of(principal, await access.child_ref(repos, child.id)):
        log.info("user %s asked a parent code for child %s outside their scope", actor_id, child.id)
        return CodeResult(CodeOutcome.NO_CHILD)
    if child.status != ChildStatus.ACTIVE:
        return CodeResult(CodeOutcome.INACTIVE, child)
    revoked = await q.revoke_unused_parent_codes(repos.db, child.id, now, actor_id)
    invite = await parent_link(repos, child, actor_id)
    log.info("user %s made a parent code for child %s (%d unused revoked)", actor_id, child.id, revoked)
    return CodeResult(CodeOutcome.CREATED, child, invite, revoked)


__all__ = ["CodeOutcome", "CodeResult", "fresh_parent_code"]
