"""Shared helpers of the repositories: the database handle, time stamps, audit records, IN lists."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from storage.db import Database
from storage.values import to_db_time


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _now(self) -> str:
        return to_db_time(self.db.now())

    async def _audit(self, actor_id: int | None, action: str, entity: str, entity_id: object,
                     details: dict[str, Any] | None = None) -> None:
        """Write an audit row in the caller's transaction. `details`: ids and field names only."""
        await self.db.execute(AUDIT_SQL, self._audit_params(actor_id, action, entity, entity_id, details))

    def _audit_params(self, actor_id: int | None, action: str, entity: str, entity_id: object,
                      details: dict[str, Any] | None = None) -> tuple[Any, ...]:
        """The parameters of AUDIT_SQL (for `Database.atomic` work that writes its audit row itself)."""
        return (actor_id, action, entity, None if entity_id is None else str(entity_id),
                json.dumps(details or {}, sort_keys=True, default=str), self._now())


# A child's status must be decided again (migration 0060): in the same transaction as the change itself.
MARK_DIRTY_SQL = ("INSERT INTO status_dirty (child_id, version, facts) VALUES (?, 1, ?)"
                  " ON CONFLICT (child_id) DO UPDATE SET version = status_dirty.version + 1,"
                  " facts = MAX(status_dirty.facts, excluded.facts)")

AUDIT_SQL = ("INSERT INTO audit_log (actor_id, action, entity, entity_id, details, created_at)"
             " VALUES (?, ?, ?, ?, ?, ?)")


def in_list(values: Collection[Any]) -> tuple[str, list[Any]]:
    """`("?, ?, ?", [1, 2, 3])` for `col IN (...)`; an empty list matches nothing (`NULL`)."""
    items = list(values)
    if not items:
        return "NULL", []
    return ", ".join("?" for _ in items), items


def ids(values: int | Sequence[int] | Collection[int]) -> list[int]:
    return [values] if isinstance(values, int) else list(values)
