"""Posyandu sessions, reminders and tips sent (idempotent), broadcasts with one delivery row per recipient,
and the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence

from storage.errors import MSG_BROADCAST_NOT_FOUND, MSG_POSYANDU_NOT_FOUND, IntegrityViolation, NotFound
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastCreate,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    PosyanduSession,
    ReminderRecord,
    ReminderStatus,
    SessionCreate,
    SessionStatus,
)
from storage.repositories.base import Repository, in_list

_SESSION_COLS = "id, posyandu_id, session_date, start_time, end_time, status, moved_to, note, created_at"
_BROADCAST_COLS = ("id, author_id, text, media_file_id, media_type, audience, scope_area_id, scope_posyandu_id,"
                   " created_at, status")
_DELIVERY_COLS = "id, broadcast_id, recipient_id, status, attempts, error, created_at, updated_at, sent_at"


def _time(t: dt.time | None) -> str | None:
    return t.strftime("%H:%M") if t else None


class SessionRepository(Repository):
    async def upsert(self, data: SessionCreate, actor_id: int | None = None) -> PosyanduSession:
        """Create the session of that posyandu on that date, or update its times/status/note."""
        async with self.db.transaction():
            try:
                await self.db.execute(
                    "INSERT INTO posyandu_sessions (posyandu_id, session_date, start_time, end_time, status, note,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (posyandu_id, session_date) DO UPDATE SET start_time = excluded.start_time,"
                    " end_time = excluded.end_time, status = excluded.status, note = excluded.note",
                    (data.posyandu_id, data.session_date.isoformat(), _time(data.start_time), _time(data.end_time),
                     data.status.value, data.note, self._now()),
                )
            except IntegrityViolation as exc:
                raise NotFound(MSG_POSYANDU_NOT_FOUND) from exc
            await self._audit(actor_id, "upsert", "session", data.posyandu_id,
                              {"date": data.session_date.isoformat(), "status": data.status.value})
        found = await self.get(data.posyandu_id, data.session_date)
        assert found is not None
        return found

    async def get(self, posyandu_id: int, session_date: dt.date) -> PosyanduSession | None:
        row = await self.db.fetchone(
            f"SELECT {_SESSION_COLS} FROM posyandu_sessions WHERE posyandu_id = ? AND session_date = ?",
            (posyandu_id, session_date.isoformat()),
        )
        return PosyanduSession.model_validate(row) if row else None

    async def list_between(self, start: dt.date, end: dt.date,
                           posyandu_ids: Collection[int] | None = None) -> list[PosyanduSession]:
        """Sessions with start <= date < end (all statuses), optionally for some posyandu."""
        sql = f"SELECT {_SESSION_COLS} FROM posyandu_sessions WHERE session_date >= ? AND session_date < ?"
        params: list[object] = [start.isoformat(), end.isoformat()]
        if posyandu_ids is not None:
            marks, vals = in_list(posyandu_ids)
            sql += f" AND posyandu_id IN ({marks})"
            params += vals
        rows = await self.db.fetchall(sql + " ORDER BY session_date, posyandu_id", params)
        return [PosyanduSession.model_validate(r) for r in rows]

    async def move(self, posyandu_id: int, from_date: dt.date, to_date: dt.date, *,
                   start_time: dt.time | None = None, end_time: dt.time | None = None,
                   actor_id: int | None = None) -> PosyanduSession:
        """Mark the session on `from_date` moved and schedule one on `to_date` (one transaction)."""
        async with self.db.transaction():
            old = await self.get(posyandu_id, from_date)
            await self.upsert(SessionCreate(posyandu_id=posyandu_id, session_date=from_date,
                                            start_time=old.start_time if old else None,
                                            end_time=old.end_time if old else None,
                                            status=SessionStatus.MOVED, note=old.note if old else None), actor_id)
            await self.db.execute(
                "UPDATE posyandu_sessions SET moved_to = ? WHERE posyandu_id = ? AND session_date = ?",
                (to_date.isoformat(), posyandu_id, from_date.isoformat()))
            new = await self.upsert(SessionCreate(
                posyandu_id=posyandu_id, session_date=to_date,
                start_time=start_time or (old.start_time if old else None),
                end_time=end_time or (old.end_time if old else None)), actor_id)
        return new

    async def set_status(self, posyandu_id: int, session_date: dt.date, status: SessionStatus,
                         actor_id: int | None = None) -> bool:
        async with self.db.transaction():
            changed = await self.db.execute(
                "UPDATE posyandu_sessions SET status = ? WHERE posyandu_id = ? AND session_date = ?",
                (SessionStatus(status).value, posyandu_id, session_date.isoformat()))
            if changed:
                await self._audit(actor_id, "set_status", "session", posyandu_id,
                                  {"date": session_date.isoformat(), "status": SessionStatus(status).value})
        return bool(changed)


class ReminderRepository(Repository):
    """Reminders sent, keyed by an idempotency key (e.g. "h-1:posyandu 7:2024-12-03:user 42")."""

    async def claim(self, key: str, recipient_id: int, kind: str) -> bool:
        """Record the intent to send; False if this key was already claimed (never send twice)."""
        changed = await self.db.execute(
            "INSERT INTO reminders_sent (idempotency_key, recipient_id, kind, sent_at, status)"
            " VALUES (?, ?, ?, ?, 'pending') ON CONFLICT (idempotency_key) DO NOTHING",
            (key, recipient_id, kind, self._now()),
        )
        return changed == 1

    async def mark(self, key: str, status: ReminderStatus) -> None:
        await self.db.execute("UPDATE reminders_sent SET status = ?, sent_at = ? WHERE idempotency_key = ?",
                              (ReminderStatus(status).value, self._now(), key))

    async def get(self, key: str) -> ReminderRecord | None:
        row = await self.db.fetchone(
            "SELECT id, idempotency_key, recipient_id, kind, sent_at, status FROM reminders_sent"
            " WHERE idempotency_key = ?", (key,))
        return ReminderRecord.model_validate(row) if row else None

    async def pending(self) -> list[ReminderRecord]:
        """Claimed but not confirmed (the process died between claim and send): decide on restart."""
        rows = await self.db.fetchall(
            "SELECT id, idempotency_key, recipient_id, kind, sent_at, status FROM reminders_sent"
            " WHERE status = 'pending' ORDER BY id")
        return [ReminderRecord.model_validate(r) for r in rows]


class TipRepository(Repository):
    async def record(self, user_id: int, tip_id: str) -> None:
        await self.db.execute("INSERT INTO tips_sent (user_id, tip_id, sent_at) VALUES (?, ?, ?)",
                              (user_id, tip_id, self._now()))

    async def sent_tip_ids(self, user_id: int) -> set[str]:
        rows = await self.db.fetchall("SELECT DISTINCT tip_id FROM tips_sent WHERE user_id = ?", (user_id,))
        return {str(r["tip_id"]) for r in rows}

    async def last_sent_at(self, user_id: int) -> dt.datetime | None:
        value = await self.db.fetchval("SELECT MAX(sent_at) FROM tips_sent WHERE user_id = ?", (user_id,))
        return dt.datetime.fromisoformat(value) if value else None


class BroadcastRepository(Repository):
    async def create(self, data: BroadcastCreate, recipient_ids: Sequence[int]) -> Broadcast:
        """Store the broadcast and one pending delivery per (distinct) recipient, in one transaction."""
        now = self._now()
        async with self.db.transaction():
            bid = await self.db.insert(
                f"INSERT INTO broadcasts ({_BROADCAST_COLS.removeprefix('id, ')})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING id",
                (data.author_id, data.text, data.media_file_id, data.media_type, data.audience,
                 data.scope_area_id, data.scope_posyandu_id, now),
            )
            await self.db.executemany(
                "INSERT INTO broadcast_deliveries (broadcast_id, recipient_id, status, attempts, created_at,"
                " updated_at) VALUES (?, ?, 'pending', 0, ?, ?) ON CONFLICT (broadcast_id, recipient_id) DO NOTHING",
                [(bid, rid, now, now) for rid in dict.fromkeys(recipient_ids)],
            )
            await self._audit(data.author_id, "create", "broadcast", bid,
                              {"audience": data.audience, "recipients": len(set(recipient_ids))})
        return await self.get(bid)

    async def get(self, broadcast_id: int) -> Broadcast:
        row = await self.db.fetchone(f"SELECT {_BROADCAST_COLS} FROM broadcasts WHERE id = ?", (broadcast_id,))
        if row is None:
            raise NotFound(MSG_BROADCAST_NOT_FOUND)
        return Broadcast.model_validate(row)

    async def set_status(self, broadcast_id: int, status: BroadcastStatus) -> None:
        await self.db.execute("UPDATE broadcasts SET status = ? WHERE id = ?",
                              (BroadcastStatus(status).value, broadcast_id))

    async def unfinished(self) -> list[Broadcast]:
        """Broadcasts pending or sending (resume these after a restart)."""
        rows = await self.db.fetchall(
            f"SELECT {_BROADCAST_COLS} FROM broadcasts WHERE status IN ('pending', 'sending') ORDER BY id")
        return [Broadcast.model_validate(r) for r in rows]

    async def pending_deliveries(self, broadcast_id: int, limit: int = 100) -> list[Delivery]:
        rows = await self.db.fetchall(
            f"SELECT {_DELIVERY_COLS} FROM broadcast_deliveries WHERE broadcast_id = ? AND status = 'pending'"
            " ORDER BY id LIMIT ?", (broadcast_id, limit))
        return [Delivery.model_validate(r) for r in rows]

    async def mark_delivery(self, delivery_id: int, status: DeliveryStatus, error: str | None = None) -> None:
        """Record one attempt's outcome (attempts + 1). `error`: Telegram's error text, no personal data."""
        now = self._now()
        status = DeliveryStatus(status)
        await self.db.execute(
            "UPDATE broadcast_deliveries SET status = ?, attempts = attempts + 1, error = ?, updated_at = ?,"
            " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
            (status.value, error, now, status.value, now, delivery_id),
        )

    async def stats(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM broadcast_deliveries WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        out = dict.fromkeys(DeliveryStatus, 0)
        for r in rows:
            out[DeliveryStatus(r["status"])] = int(r["n"])
        return out

    async def list_by_author(self, author_id: int, limit: int = 20) -> list[Broadcast]:
        rows = await self.db.fetchall(
            f"SELECT {_BROADCAST_COLS} FROM broadcasts WHERE author_id = ? ORDER BY id DESC LIMIT ?",
            (author_id, limit))
        return [Broadcast.model_validate(r) for r in rows]


class AuditRepository(Repository):
    async def record(self, actor_id: int | None, action: str, entity: str, entity_id: object = None,
                     details: dict[str, object] | None = None) -> None:
        """Add an audit row. Put ids and field names in `details`, never names, NIK or phone numbers."""
        await self._audit(actor_id, action, entity, entity_id, details)

    async def list_for(self, entity: str, entity_id: object | None = None, limit: int = 100) -> list[AuditEntry]:
        sql = "SELECT id, actor_id, action, entity, entity_id, details, created_at FROM audit_log WHERE entity = ?"
        params: list[object] = [entity]
        if entity_id is not None:
            sql += " AND entity_id = ?"
            params.append(str(entity_id))
        rows = await self.db.fetchall(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [AuditEntry.model_validate({**r, "details": json.loads(r["details"] or "{}")}) for r in rows]
