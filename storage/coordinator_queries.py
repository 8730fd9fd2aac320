"""SQL of the coordinator journey: broadcast recipients and deliveries, monthly recap counts, follow-up list, team.

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

# WHO anthro's limits of biologically plausible z-scores: values outside are typing or measuring errors and
# must not count towards prevalence (domain.md).
PLAUSIBLE = {"waz": (-6.0, 5.0), "haz": (-6.0, 6.0), "whz": (-5.0, 5.0)}
UNDER_FIVE_DAYS = 1826
MUAC_FROM_DAYS = 183  # MUAC cut-offs apply from 6 months


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ------------------------------------------------------------------ recap


class PosyanduCounts(_Model):
    """One posyandu's counts for one month (the recap service aggregates and formats them)."""

    posyandu_id: int
    s: int = 0  # active under-fives registered
    d: int = 0  # of them, weighed this month
    n: int = 0  # weight went up
    t: int = 0  # did not go up (2T included)
    t2: int = 0  # second T in a row
    o: int = 0
    b: int = 0
    bgm: int = 0  # below the red line (WAZ < -3)
    with_waz: int = 0  # children with a plausible WAZ this month (prevalence denominators)
    with_haz: int = 0
    with_whz: int = 0
    underweight: int = 0  # WAZ < -2
    stunted: int = 0  # HAZ < -2
    severe_stunted: int = 0  # HAZ < -3
    wasted: int = 0  # WHZ < -2 or bilateral oedema
    severe_wasted: int = 0  # WHZ < -3 or bilateral oedema (gizi buruk)
    overweight: int = 0  # WHZ > +2


def _z_ok(col: str) -> str:
    low, high = PLAUSIBLE[col]
    return f"({col} IS NOT NULL AND {col} >= {low} AND {col} <= {high})"


async def month_counts(db: Database, posyandu_ids: Collection[int], month: dt.date) -> dict[int, PosyanduCounts]:
    """Counts per posyandu for the calendar month of `month`, from each child's latest plausible weighing.

    S counts active children under five at some point of the month (registration time is not used: data
    imported later still describes the month). D counts those of S with a current (not superseded)
    measurement in the month, so D/S never exceeds 100 %.
    """
    start = month.replace(day=1)
    end = (start.replace(year=start.year + 1, month=1) if start.month == 12
           else start.replace(month=start.month + 1))
    oldest_birth = start - dt.timedelta(days=UNDER_FIVE_DAYS)
    marks, ids = in_list(posyandu_ids)
    s_rows = await db.fetchall(
        f"SELECT posyandu_id, COUNT(*) AS s FROM children"
        f" WHERE posyandu_id IN ({marks}) AND status = 'active' AND birth_date < ? AND birth_date > ?"
        f" GROUP BY posyandu_id",
        [*ids, end.isoformat(), oldest_birth.isoformat()],
    )
    waz, haz, whz = _z_ok("waz"), _z_ok("haz"), _z_ok("whz")
    # Latest plausible measurement of the month per child; an implausible one only if nothing else exists
    # (then the per-indicator range checks below still keep its bad z-scores out).
    d_rows = await db.fetchall(
        f"""WITH latest AS (
                SELECT m.child_id, c.posyandu_id, m.waz, m.haz, m.whz, m.oedema, m.faltering, m.bgm,
                       ROW_NUMBER() OVER (PARTITION BY m.child_id
                                          ORDER BY m.implausible, m.measured_on DESC, m.id DESC) AS rn
                FROM measurements m JOIN children c ON c.id = m.child_id
                WHERE m.superseded_by IS NULL AND m.measured_on >= ? AND m.measured_on < ?
                  AND c.posyandu_id IN ({marks}) AND c.status = 'active'
                  AND c.birth_date < ? AND c.birth_date > ?)
            SELECT posyandu_id,
                   COUNT(*) AS d,
                   SUM(CASE WHEN faltering = 'N' THEN 1 ELSE 0 END) AS n,
                   SUM(CASE WHEN faltering IN ('T', '2T') THEN 1 ELSE 0 END) AS t,
                   SUM(CASE WHEN faltering = '2T' THEN 1 ELSE 0 END) AS t2,
                   SUM(CASE WHEN faltering = 'O' THEN 1 ELSE 0 END) AS o,
                   SUM(CASE WHEN faltering = 'B' THEN 1 ELSE 0 END) AS b,
                   SUM(CASE WHEN bgm = 1 OR ({waz} AND waz < -3) THEN 1 ELSE 0 END) AS bgm,
                   SUM(CASE WHEN {waz} THEN 1 ELSE 0 END) AS with_waz,
                   SUM(CASE WHEN {haz} THEN 1 ELSE 0 END) AS with_haz,
                   SUM(CASE WHEN {whz} OR oedema = 1 THEN 1 ELSE 0 END) AS with_whz,
                   SUM(CASE WHEN {waz} AND waz < -2 THEN 1 ELSE 0 END) AS underweight,
                   SUM(CASE WHEN {haz} AND haz < -2 THEN 1 ELSE 0 END) AS stunted,
                   SUM(CASE WHEN {haz} AND haz < -3 THEN 1 ELSE 0 END) AS severe_stunted,
                   SUM(CASE WHEN oedema = 1 OR ({whz} AND whz < -2) THEN 1 ELSE 0 END) AS wasted,
                   SUM(CASE WHEN oedema = 1 OR ({whz} AND whz < -3) THEN 1 ELSE 0 END) AS severe_wasted,
                   SUM(CASE WHEN oedema = 0 AND {whz} AND whz > 2 THEN 1 ELSE 0 END) AS overweight
            FROM latest WHERE rn = 1 GROUP BY posyandu_id""",
        [start.isoformat(), end.isoformat(), *ids, end.isoformat(), oldest_birth.isoformat()],
    )
    out = {pid: PosyanduCounts(posyandu_id=pid) for pid in ids}
    for row in s_rows:
        out[int(row["posyandu_id"])] = PosyanduCounts(posyandu_id=int(row["posyandu_id"]), s=int(row["s"]))
    for row in d_rows:
        pid = int(row["posyandu_id"])
        values = {k: int(v or 0) for k, v in row.items() if k != "posyandu_id"}
        out[pid] = PosyanduCounts(posyandu_id=pid, s=out[pid].s, **values)
    return out


# ------------------------------------------------------------------ follow-up


class FollowUpRow(_Model):
    child_id: int
    code: str
    name: str
    sex: str
    birth_date: dt.date
    posyandu_id: int
    measured_on: dt.date | None  # latest weighing in the look-back window (None: none)
    age_days: int | None
    waz: float | None
    haz: float | None
    whz: float | None
    oedema: bool
    muac_cm: float | None
    faltering: str | None
    bgm: bool
    entered_by: int | None
    created_at: dt.datetime


async def follow_up_candidates(db: Database, posyandu_ids: Collection[int], today: dt.date,
                               look_back_days: int = 365, *, stale_after_days: int | None = None
                               ) -> list[FollowUpRow]:
    """Active under-fives of these posyandu with their latest plausible measurement of the past year.

    The service decides who needs action; the window keeps the query to a year of rows (index on
    measured_on) however long the history is: a child last weighed before that is "not weighed" anyway.
    With `stale_after_days`, only rows that may need action come back (a superset of the service's rules:
    a warning sign in the latest weighing, or none for that many days), which spares building ~80 % of the
    row objects on a large area.
    """
    marks, ids = in_list(posyandu_ids)
    since = today - dt.timedelta(days=look_back_days)
    oldest_birth = today - dt.timedelta(days=UNDER_FIVE_DAYS)
    prefilter, extra = "", []
    if stale_after_days is not None:
        prefilter = ("AND (l.measured_on IS NULL OR l.measured_on < ? OR l.oedema = 1 OR l.whz < -3 OR l.haz < -3"
                     " OR l.waz < -3 OR l.bgm = 1 OR l.faltering = '2T' OR l.muac_cm < 11.5)")
        extra = [(today - dt.timedelta(days=stale_after_days)).isoformat()]
    rows = await db.fetchall(
        f"""WITH latest AS (
                SELECT m.child_id, m.measured_on, m.age_days, m.waz, m.haz, m.whz, m.oedema, m.muac_cm,
                       m.faltering, m.bgm, m.entered_by,
                       ROW_NUMBER() OVER (PARTITION BY m.child_id
                                          ORDER BY m.implausible, m.measured_on DESC, m.id DESC) AS rn
                FROM measurements m JOIN children c ON c.id = m.child_id
                WHERE m.superseded_by IS NULL AND m.measured_on >= ? AND m.measured_on <= ?
                  AND c.posyandu_id IN ({marks}) AND c.status = 'active')
            SELECT c.id AS child_id, c.code, c.name, c.sex, c.birth_date, c.posyandu_id, c.created_at,
                   l.measured_on, l.age_days, l.waz, l.haz, l.whz, COALESCE(l.oedema, 0) AS oedema, l.muac_cm,
                   l.faltering, COALESCE(l.bgm, 0) AS bgm, l.entered_by
            FROM children c LEFT JOIN latest l ON l.child_id = c.id AND l.rn = 1
            WHERE c.posyandu_id IN ({marks}) AND c.status = 'active' AND c.birth_date > ? {prefilter}
            ORDER BY c.posyandu_id, c.name_key, c.id""",
        [since.isoformat(), today.isoformat(), *ids, *ids, oldest_birth.isoformat(), *extra],
    )
    return [FollowUpRow.model_validate(r) for r in rows]


# ------------------------------------------------------------------ team


class CadreActivity(_Model):
    telegram_id: int
    display_name: str
    posyandu_id: int
    active: bool
    last_seen_at: dt.datetime | None
    last_entry_at: dt.datetime | None
    entries_this_month: int


async def cadres_with_activity(db: Database, posyandu_ids: Collection[int], month: dt.date) -> list[CadreActivity]:
    """Cadres of these posyandu with when they last used the bot and entered a measurement."""
    start = month.replace(day=1)
    start_ts = to_db_time(dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC))
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
    "PLAUSIBLE", "CadreActivity", "DeliveryCounts", "DeliveryTask", "FollowUpRow", "PosyanduCounts", "Progress",
    "cadre_names", "cadres_with_activity", "create_broadcast", "delivery_counts",
    "display_names", "finish_broadcast", "follow_up_candidates", "from_db_time", "get_broadcast", "get_progress",
    "list_broadcasts", "mark_delivery", "month_counts", "note_attempt", "pending_deliveries",
    "set_broadcast_status", "set_progress_message", "unfinished_broadcasts",
]
