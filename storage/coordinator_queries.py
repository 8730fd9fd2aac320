"""SQL of the coordinator journey: broadcast recipients and deliveries, team (recap and follow-up counts read the
children's monthly status: storage.status_queries).

Queries the shared repositories do not have live here (conventions: one owner per module). They take and
return pydantic models, use only portable SQL (window functions and recursive CTEs exist in PostgreSQL too),
and never log personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict

from storage.db import Database
from storage.models import Broadcast, BroadcastCreate, BroadcastStatus, DeliveryStatus
from storage.repositories.base import in_list
from storage.values import from_db_time, to_db_time


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ------------------------------------------------------------------ team


class CadreActivity(_Model):
    telegram_id: int
    display_name: str
    posyandu_id: int
    active: bool
    last_seen_at: dt.datetime | None
    last_entry_at: dt.datetime | None
    entries_this_month: int


async def cadres_with_activity(db: Database, posyandu_ids: Collection[int], since: dt.datetime
                               ) -> list[CadreActivity]:
    """Cadres of these posyandu with when they last used the bot and entered a measurement, and how many
    measurements each entered from `since` (an aware time: the start of the month where the posyandu is)."""
    start_ts = to_db_time(since)
    marks, ids = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"""SELECT u.telegram_id, u.display_name, u.posyandu_id, u.active, u.last_seen_at,
                   (SELECT MAX(m.created_at) FROM measurements m WHERE m.entered_by = u.telegram_id)
                       AS last_entry_at,
                   (SELECT COUNT(*) FROM measurements m WHERE m.entered_by = u.telegram_id
                       AND m.created_at >= ?) AS entries_this_month
            FROM users u WHERE u.role = 'cadre' AND u.posyandu_id IN ({marks})
            ORDER BY u.posyandu_id, u.display_name, u.telegram_id""",
        [start_ts, *ids],
    )
    return [CadreActivity.model_validate(r) for r in rows]


async def cadre_names(db: Database, posyandu_ids: Collection[int]) -> dict[int, list[tuple[int, str]]]:
    """Active cadres per posyandu: posyandu id -> [(telegram id, display name)]."""
    marks, ids = in_list(posyandu_ids)
    rows = await db.fetchall(
        f"SELECT telegram_id, display_name, posyandu_id FROM users WHERE role = 'cadre' AND active = 1"
        f" AND posyandu_id IN ({marks}) ORDER BY telegram_id", ids)
    out: dict[int, list[tuple[int, str]]] = {}
    for r in rows:
        out.setdefault(int(r["posyandu_id"]), []).append((int(r["telegram_id"]), str(r["display_name"])))
    return out


async def display_names(db: Database, user_ids: Collection[int]) -> dict[int, str]:
    marks, ids = in_list(user_ids)
    rows = await db.fetchall(f"SELECT telegram_id, display_name FROM users WHERE telegram_id IN ({marks})", ids)
    return {int(r["telegram_id"]): str(r["display_name"]) for r in rows}


# ------------------------------------------------------------------ broadcasts


class DeliveryTask(_Model):
    id: int
    recipient_id: int
    attempts: int


class DeliveryCounts(_Model):
    total: int = 0
    pending: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed


class Progress(_Model):
    broadcast_id: int
    chat_id: int
    message_id: int | None
    recipients: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    reported_at: dt.datetime | None


_BROADCAST_COLS = ("id, author_id, text, media_file_id, media_type, audience, scope_area_id, scope_posyandu_id,"
                   " created_at, status")


async def create_broadcast(db: Database, data: BroadcastCreate, recipients: Sequence[int], *,
                           chat_id: int) -> Broadcast:
    """Store the broadcast, one pending delivery per recipient and the progress row, all or nothing."""
    now = to_db_time(db.now())
    async with db.transaction():
        bid = await db.insert(
            "INSERT INTO broadcasts (author_id, text, media_file_id, media_type, audience, scope_area_id,"
            " scope_posyandu_id, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING id",
            (data.author_id, data.text, data.media_file_id, data.media_type, data.audience, data.scope_area_id,
             data.scope_posyandu_id, now),
        )
        await db.executemany(
            "INSERT INTO broadcast_deliveries (broadcast_id, recipient_id, status, attempts, created_at, updated_at)"
            " VALUES (?, ?, 'pending', 0, ?, ?)",
            [(bid, rid, now, now) for rid in recipients],
        )
        await db.execute(
            "INSERT INTO broadcast_progress (broadcast_id, chat_id, recipients) VALUES (?, ?, ?)",
            (bid, chat_id, len(recipients)),
        )
        await db.execute(
            "INSERT INTO audit_log (actor_id, action, entity, entity_id, details, created_at)"
            " VALUES (?, 'create', 'broadcast', ?, ?, ?)",
            (data.author_id, str(bid), f'{{"recipients": {len(recipients)}}}', now),
        )
    found = await get_broadcast(db, bid)
    assert found is not None
    return found


async def get_broadcast(db: Database, broadcast_id: int) -> Broadcast | None:
    row = await db.fetchone(f"SELECT {_BROADCAST_COLS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    return Broadcast.model_validate(row) if row else None


async def list_broadcasts(db: Database, *, author_id: int | None = None, area_ids: Collection[int] | None = None,
                          posyandu_ids: Collection[int] | None = None, limit: int = 10) -> list[Broadcast]:
    """Newest first: the author's own, plus (when given) those aimed inside these areas or posyandu."""
    conds: list[str] = []
    params: list[object] = []
    if author_id is not None:
        conds.append("author_id = ?")
        params.append(author_id)
    if area_ids is not None:
        marks, vals = in_list(area_ids)
        conds.append(f"scope_area_id IN ({marks})")
        params += vals
    if posyandu_ids is not None:
        marks, vals = in_list(posyandu_ids)
        conds.append(f"scope_posyandu_id IN ({marks})")
        params += vals
    where = " OR ".join(conds) if conds else "1 = 1"
    rows = await db.fetchall(
        f"SELECT {_BROADCAST_COLS} FROM broadcasts WHERE {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [Broadcast.model_validate(r) for r in rows]


async def unfinished_broadcasts(db: Database) -> list[int]:
    """Broadcasts that were confirmed but not finished (a restart interrupted them)."""
    rows = await db.fetchall("SELECT id FROM broadcasts WHERE status IN ('pending', 'sending') ORDER BY id")
    return [int(r["id"]) for r in rows]


async def set_broadcast_status(db: Database, broadcast_id: int, status: BroadcastStatus) -> None:
    await db.execute("UPDATE broadcasts SET status = ? WHERE id = ?", (status.value, broadcast_id))


async def pending_deliveries(db: Database, broadcast_id: int) -> list[DeliveryTask]:
    rows = await db.fetchall(
        "SELECT id, recipient_id, attempts FROM broadcast_deliveries WHERE broadcast_id = ? AND status = 'pending'"
        " ORDER BY id", (broadcast_id,))
    return [DeliveryTask.model_validate(r) for r in rows]


async def mark_delivery(db: Database, delivery_id: int, status: DeliveryStatus, *, error: str | None = None,
                        attempted: bool = True) -> None:
    """Record the outcome of one send. Only a pending row changes, so a repeated call cannot undo a result."""
    now = to_db_time(db.now())
    await db.execute(
        "UPDATE broadcast_deliveries SET status = ?, attempts = attempts + ?, error = ?, updated_at = ?,"
        " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ? AND status = 'pending'",
        (status.value, int(attempted), error, now, status.value, now, delivery_id),
    )


async def note_attempt(db: Database, delivery_id: int, error: str) -> None:
    """A transient failure: count it, keep the delivery pending."""
    await db.execute(
        "UPDATE broadcast_deliveries SET attempts = attempts + 1, error = ?, updated_at = ? WHERE id = ?",
        (error, to_db_time(db.now()), delivery_id),
    )


async def delivery_counts(db: Database, broadcast_id: int) -> DeliveryCounts:
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM broadcast_deliveries WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,))
    by = {str(r["status"]): int(r["n"]) for r in rows}
    return DeliveryCounts(total=sum(by.values()), pending=by.get("pending", 0), sent=by.get("sent", 0),
                          blocked=by.get("blocked", 0), failed=by.get("failed", 0))


async def get_progress(db: Database, broadcast_id: int) -> Progress | None:
    row = await db.fetchone(
        "SELECT broadcast_id, chat_id, message_id, recipients, started_at, finished_at, reported_at"
        " FROM broadcast_progress WHERE broadcast_id = ?", (broadcast_id,))
    return Progress.model_validate(row) if row else None


async def set_progress_message(db: Database, broadcast_id: int, message_id: int) -> None:
    await db.execute("UPDATE broadcast_progress SET message_id = ?, started_at = COALESCE(started_at, ?)"
                     " WHERE broadcast_id = ?", (message_id, to_db_time(db.now()), broadcast_id))


async def finish_broadcast(db: Database, broadcast_id: int) -> bool:
    """Mark done; True only for the caller that finished it (so the final report goes out once)."""
    now = to_db_time(db.now())
    async with db.transaction():
        changed = await db.execute(
            "UPDATE broadcast_progress SET finished_at = ?, reported_at = ? WHERE broadcast_id = ?"
            " AND reported_at IS NULL", (now, now, broadcast_id))
        await db.execute("UPDATE broadcasts SET status = 'done' WHERE id = ?", (broadcast_id,))
    return bool(changed)


__all__ = [
    "CadreActivity", "DeliveryCounts", "DeliveryTask", "Progress",
    "cadre_names", "cadres_with_activity", "create_broadcast", "delivery_counts",
    "display_names", "finish_broadcast", "from_db_time", "get_broadcast", "get_progress",
    "list_broadcasts", "mark_delivery", "note_attempt", "pending_deliveries",
    "set_broadcast_status", "set_progress_message", "unfinished_broadcasts",
]
