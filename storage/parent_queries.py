"""SQL the parent journey needs beyond the shared repositories: code-attempt rate limiting, tip history, and
revoking a child's unused parent codes when a fresh one is made (/kode_ortu).

Portable SQL; times are UTC ISO text like everywhere else (storage.values.to_db_time), so they compare as text.
"""

from __future__ import annotations

import datetime as dt
import json

from storage.db import Database
from storage.repositories.base import AUDIT_SQL
from storage.values import from_db_time, to_db_time

# Attempt rows older than this are useless for rate limiting and are pruned as new ones arrive.
ATTEMPTS_KEPT = dt.timedelta(days=2)


async def record_code_attempt(db: Database, user_id: int, ok: bool, when: dt.datetime) -> None:
    async with db.transaction():
        await db.execute("INSERT INTO parent_code_attempts (user_id, attempted_at, ok) VALUES (?, ?, ?)",
                         (user_id, to_db_time(when), int(ok)))
        await db.execute("DELETE FROM parent_code_attempts WHERE attempted_at < ?",
                         (to_db_time(when - ATTEMPTS_KEPT),))


async def failed_code_attempts(db: Database, user_id: int, since: dt.datetime) -> list[dt.datetime]:
    """Times of the user's wrong codes since `since`, oldest first."""
    rows = await db.fetchall(
        "SELECT attempted_at FROM parent_code_attempts WHERE user_id = ? AND ok = 0 AND attempted_at >= ?"
        " ORDER BY attempted_at", (user_id, to_db_time(since)))
    return [t for t in (from_db_time(r["attempted_at"]) for r in rows) if t is not None]


async def tip_history(db: Database, user_id: int) -> dict[str, dt.datetime]:
    """Each tip id sent to the user, with the last time it was sent."""
    rows = await db.fetchall(
        "SELECT tip_id, MAX(sent_at) AS last_at FROM tips_sent WHERE user_id = ? GROUP BY tip_id", (user_id,))
    out: dict[str, dt.datetime] = {}
    for r in rows:
        when = from_db_time(r["last_at"])
        if when is not None:
            out[str(r["tip_id"])] = when
    return out


async def record_tip(db: Database, user_id: int, tip_id: str, when: dt.datetime) -> None:
    await db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (?, ?, ?)",
                     (user_id, tip_id, to_db_time(when)))


async def revoke_unused_parent_codes(db: Database, child_id: int, now: dt.datetime, actor_id: int | None) -> int:
    """Expire every unused, unexpired parent code of a child (a fresh one replaces them); audited. Used codes stay:
    they are the record of who linked."""
    stamp = to_db_time(now)
    async with db.transaction():
        changed = await db.execute(
            "UPDATE invites SET expires_at = ? WHERE child_id = ? AND role = 'parent' AND use_count = 0"
            " AND expires_at > ?", (stamp, child_id, stamp))
        if changed:
            await db.execute(AUDIT_SQL, (actor_id, "revoke", "invite", None,
                                         json.dumps({"child_id": child_id, "count": changed}), stamp))
    return changed
