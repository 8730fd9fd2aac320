"""Children: registration with a short chat code, search, duplicates, updates, bulk import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from storage import recap_summary
from storage.errors import (
    MSG_CHILD_NOT_FOUND,
    MSG_DUPLICATE_CODE,
    MSG_DUPLICATE_NIK,
    MSG_FUTURE_DATE,
    MSG_POSYANDU_NOT_FOUND,
    IntegrityViolation,
    InvalidInput,
    NotFound,
)
from storage.models import Child, ChildCreate, ChildStatus, ChildUpdate
from storage.repositories.base import MARK_DIRTY_SQL, Repository, ids, in_list
from storage.values import encode_child_code, like_escape, normalise_child_code, normalise_phone, search_key

CHILD_COLS = ("id, code, name, sex, birth_date, nik, guardian_name, guardian_phone, posyandu_id, address, rt, rw,"
              " birth_weight_kg, birth_length_cm, status, created_by, created_at, updated_at")
_INSERT_COLS = ("code, name, name_key, sex, birth_date, nik, guardian_name, guardian_phone, posyandu_id, address,"
                " rt, rw, birth_weight_kg, birth_length_cm, status, created_by, created_at, updated_at")
# What a child's share of the kept recap counts depends on (storage.recap_summary).
_COUNTED_FACTS = {"posyandu_id", "status", "birth_date"}
_INSERT_SQL = f"INSERT INTO children ({_INSERT_COLS}) VALUES ({', '.join('?' * 18)})"


def _conflict(exc: IntegrityViolation, code: str | None = None) -> IntegrityViolation:
    # The engine's own words: "UNIQUE constraint failed: children.nik" (SQLite), 'duplicate key value violates
    # unique constraint "children_nik_key"' / 'violates foreign key constraint' (PostgreSQL).
    detail = exc.detail.lower()
    if "foreign key" in detail:
        return IntegrityViolation(MSG_POSYANDU_NOT_FOUND, detail=exc.detail)
    if "nik" in detail:
        return IntegrityViolation(MSG_DUPLICATE_NIK, detail=exc.detail)
    if "code" in detail:
        return IntegrityViolation(MSG_DUPLICATE_CODE, detail=exc.detail, code=code or "")
    return exc


@dataclass(frozen=True)
class ChildMatchIndex:
    """Keys of every registered child, for matching rows of an import file without a query per row."""

    by_code: dict[str, int]
    by_nik: dict[str, int]
    by_identity: dict[tuple[str, dt.date, int], int]  # (search_key(name), birth date, posyandu id)


class ChildRepository(Repository):
    # ------------------------------------------------------------ writes

    async def create(self, data: ChildCreate) -> Child:
        """Register a child; a code (A1, A2, ...) is allocated unless `data.code` is given."""
        self._check_birth_date(data.birth_date)
        async with self.db.transaction():
            code = data.code or await self._next_code()
            now = self._now()
            try:
                child_id = await self.db.insert(_INSERT_SQL + " RETURNING id", self._row(data, code, now))
            except IntegrityViolation as exc:
                raise _conflict(exc, code) from exc
            await recap_summary.settle(self.db, [child_id], {})  # S of its posyandu's months
            await self._audit(data.created_by, "create", "child", child_id, {"posyandu_id": data.posyandu_id})
        return await self.get(child_id)

    def _check_birth_date(self, birth_date: dt.date) -> None:
        # A day of slack: the server's UTC date can be behind the date in Indonesia.
        if birth_date > self.db.now().date() + dt.timedelta(days=1):
            raise InvalidInput(MSG_FUTURE_DATE)

    @staticmethod
    def _row(data: ChildCreate, code: str, now: str) -> tuple[object, ...]:
        return (code, data.name, search_key(data.name), data.sex.value, data.birth_date.isoformat(), data.nik,
                data.guardian_name, data.guardian_phone, data.posyandu_id, data.address, data.rt, data.rw,
                data.birth_weight_kg, data.birth_length_cm, ChildStatus.ACTIVE.value, data.created_by, now, now)

    async def _next_code(self) -> str:
        """Next free code from the sequence (inside the caller's transaction, so no two tasks get the same)."""
        n = int(await self.db.fetchval("SELECT value FROM sequences WHERE name = 'child_code'") or 0)
        while True:
            code = encode_child_code(n)
            n += 1
            if await self.db.fetchone("SELECT 1 FROM children WHERE code = ?", (code,)) is None:
                break
        await self.db.execute("UPDATE sequences SET value = ? WHERE name = 'child_code'", (n,))
        return code

    async def update(self, child_id: int, changes: ChildUpdate, actor_id: int | None = None) -> Child:
        """Change the fields set in `changes`; the audit log records which fields, not their values."""
        values = changes.changes()
        if "birth_date" in values and values["birth_date"] is not None:
            self._check_birth_date(values["birth_date"])  # type: ignore[arg-type]
        if not values:
            return await self.get(child_id)
        sets: list[str] = []
        params: list[object] = []
        for name, value in values.items():
            if name in ("name", "sex", "birth_date", "status", "posyandu_id") and value is None:
                continue  # these cannot be cleared
            if hasattr(value, "value"):
                value = value.value  # enums
            elif isinstance(value, dt.date):
                value = value.isoformat()
            sets.append(f"{name} = ?")
            params.append(value)
            if name == "name":
                sets.append("name_key = ?")
                params.append(search_key(str(value)))
        sets.append("updated_at = ?")
        params.append(self._now())
        counted = bool(_COUNTED_FACTS & values.keys())
        async with self.db.transaction():
            before = await recap_summary.snapshot(self.db, [child_id]) if counted else {}
            try:
                changed = await self.db.execute(f"UPDATE children SET {', '.join(sets)} WHERE id = ?",
                                                [*params, child_id])
            except IntegrityViolation as exc:
                raise _conflict(exc) from exc
            if not changed:
                raise NotFound(MSG_CHILD_NOT_FOUND)
            if counted:  # moved, left, or born on another day: its share of the recap counts moves with it
                await recap_summary.settle(self.db, [child_id], before)
            if {"sex", "birth_date", "birth_weight_kg"} & values.keys():
                # Sex and birth date change every z-score; the birth weight is the first KMS point.
                facts = int(bool({"sex", "birth_date"} & values.keys()))
                await self.db.execute(MARK_DIRTY_SQL, (child_id, facts))
            await self._audit(actor_id, "update", "child", child_id, {"fields": sorted(values)})
        return await self.get(child_id)

    async def set_status(self, child_id: int, status: ChildStatus, actor_id: int | None = None) -> Child:
        return await self.update(child_id, ChildUpdate(status=status), actor_id)

    async def delete(self, child_id: int, actor_id: int | None = None) -> None:
        """Erase a child registered by mistake, with its measurements and every row that belongs to it (the
        foreign keys cascade); the audit log keeps the id only. A child who moved or died is `set_status` instead."""
        async with self.db.transaction():
            before = await recap_summary.snapshot(self.db, [child_id])
            if not await self.db.execute("DELETE FROM children WHERE id = ?", (child_id,)):
                raise NotFound(MSG_CHILD_NOT_FOUND)
            await recap_summary.settle(self.db, [child_id], before)
            await self._audit(actor_id, "delete", "child", child_id)

    # ------------------------------------------------------------ reads

    async def find_by_id(self, child_id: int) -> Child | None:
        row = await self.db.fetchone(f"SELECT {CHILD_COLS} FROM children WHERE id = ?", (child_id,))
        return Child.model_validate(row) if row else None

    async def get(self, child_id: int) -> Child:
        child = await self.find_by_id(child_id)
        if child is None:
            raise NotFound(MSG_CHILD_NOT_FOUND)
        return child

    async def get_many(self, child_ids: Collection[int]) -> list[Child]:
        marks, params = in_list(child_ids)
        rows = await self.db.fetchall(f"SELECT {CHILD_COLS} FROM children WHERE id IN ({marks}) ORDER BY id", params)
        return [Child.model_validate(r) for r in rows]

    async def get_by_code(self, code: str) -> Child | None:
        """The child with this code, forgiving how it was typed (`a 12`, `AI2` -> A12)."""
        canonical = normalise_child_code(code)
        if canonical is None:
            return None
        row = await self.db.fetchone(f"SELECT {CHILD_COLS} FROM children WHERE code = ?", (canonical,))
        return Child.model_validate(row) if row else None

    async def find_by_nik(self, nik: str) -> Child | None:
        row = await self.db.fetchone(f"SELECT {CHILD_COLS} FROM children WHERE nik = ?", (nik,))
        return Child.model_validate(row) if row else None

    async def search_by_name(self, posyandu_ids: int | Sequence[int] | None, query: str, limit: int = 10,
                             *, active_only: bool = True) -> list[Child]:
        """Children whose name contains `query`, ignoring case and spaces; names starting with it first."""
        key = search_key(query)
        if not key:
            return []
        sql = f"SELECT {CHILD_COLS} FROM children WHERE name_key LIKE ? ESCAPE '\\'"
        params: list[object] = [f"%{like_escape(key)}%"]
        if posyandu_ids is not None:
            marks, vals = in_list(ids(posyandu_ids))
            sql += f" AND posyandu_id IN ({marks})"
            params += vals
        if active_only:
            sql += " AND status = 'active'"
        sql += " ORDER BY CASE WHEN name_key LIKE ? ESCAPE '\\' THEN 0 ELSE 1 END, name_key, id LIMIT ?"
        params += [f"{like_escape(key)}%", limit]
        rows = await self.db.fetchall(sql, params)
        return [Child.model_validate(r) for r in rows]

    async def list_by_posyandu(self, posyandu_id: int, *, offset: int = 0, limit: int = 20,
                               status: ChildStatus | None = ChildStatus.ACTIVE) -> list[Child]:
        """One page of a posyandu's children in name order (use `count_by_posyandu` for the page count)."""
        sql = f"SELECT {CHILD_COLS} FROM children WHERE posyandu_id = ?"
        params: list[object] = [posyandu_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(ChildStatus(status).value)
        rows = await self.db.fetchall(sql + " ORDER BY name_key, id LIMIT ? OFFSET ?", [*params, limit, offset])
        return [Child.model_validate(r) for r in rows]

    async def count_by_posyandu(self, posyandu_id: int, *, status: ChildStatus | None = ChildStatus.ACTIVE) -> int:
        sql = "SELECT COUNT(*) FROM children WHERE posyandu_id = ?"
        params: list[object] = [posyandu_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(ChildStatus(status).value)
        return int(await self.db.fetchval(sql, params) or 0)

    async def find_duplicate(self, name: str, birth_date: dt.date, posyandu_id: int) -> Child | None:
        """A child already registered with the same name (ignoring case/spaces), birth date and posyandu."""
        row = await self.db.fetchone(
            f"SELECT {CHILD_COLS} FROM children WHERE posyandu_id = ? AND birth_date = ? AND name_key = ?"
            " ORDER BY id LIMIT 1",
            (posyandu_id, birth_date.isoformat(), search_key(name)),
        )
        return Child.model_validate(row) if row else None

    async def find_by_guardian_phone(self, phone: str) -> list[Child]:
        """Children whose guardian has this phone number (any spelling: 0812..., +62 812...)."""
        try:
            normalised = normalise_phone(phone)
        except InvalidInput:
            return []
        rows = await self.db.fetchall(
            f"SELECT {CHILD_COLS} FROM children WHERE guardian_phone = ? ORDER BY birth_date, id", (normalised,))
        return [Child.model_validate(r) for r in rows]

    # ------------------------------------------------------------ bulk import

    async def match_index(self) -> ChildMatchIndex:
        rows = await self.db.fetchall("SELECT id, code, nik, name_key, birth_date, posyandu_id FROM children")
        by_code: dict[str, int] = {}
        by_nik: dict[str, int] = {}
        by_identity: dict[tuple[str, dt.date, int], int] = {}
        for r in rows:
            by_code[r["code"]] = r["id"]
            if r["nik"]:
                by_nik[r["nik"]] = r["id"]
            by_identity.setdefault((r["name_key"], dt.date.fromisoformat(r["birth_date"]), r["posyandu_id"]),
                                   r["id"])
        return ChildMatchIndex(by_code, by_nik, by_identity)

    async def bulk_write(self, creates: Sequence[ChildCreate], updates: Sequence[tuple[int, ChildCreate]],
                         actor_id: int | None = None) -> list[str]:
        """Insert and update many children in the caller's transaction (one statement each, executemany).

        Updates set the required fields and every optional field that is not None (None keeps the saved
        value); the code and status stay.
        Returns the codes given to the created children, in order.
        """
        now = self._now()
        codes: list[str] = []
        async with self.db.transaction():
            updated = [child_id for child_id, _ in updates]
            before = await recap_summary.snapshot(self.db, updated)
            n = int(await self.db.fetchval("SELECT value FROM sequences WHERE name = 'child_code'") or 0)
            taken = {r["code"] for r in await self.db.fetchall("SELECT code FROM children")}
            taken.update(c.code for c in creates if c.code)
            rows = []
            for data in creates:
                code = data.code
                if code is None:
                    code = encode_child_code(n)
                    while code in taken:
                        n += 1
                        code = encode_child_code(n)
                    n += 1
                    taken.add(code)
                codes.append(code)
                rows.append(self._row(data, code, now))
            try:
                await self.db.executemany(_INSERT_SQL, rows)
                await self.db.executemany(
                    "UPDATE children SET name = ?, name_key = ?, sex = ?, birth_date = ?, nik = COALESCE(?, nik),"
                    " guardian_name = COALESCE(?, guardian_name), guardian_phone = COALESCE(?, guardian_phone),"
                    " posyandu_id = ?, address = COALESCE(?, address), rt = COALESCE(?, rt), rw = COALESCE(?, rw),"
                    " birth_weight_kg = COALESCE(?, birth_weight_kg), birth_length_cm = COALESCE(?, birth_length_cm),"
                    " updated_at = ? WHERE id = ?",
                    [(d.name, search_key(d.name), d.sex.value, d.birth_date.isoformat(), d.nik, d.guardian_name,
                      d.guardian_phone, d.posyandu_id, d.address, d.rt, d.rw, d.birth_weight_kg, d.birth_length_cm,
                      now, child_id) for child_id, d in updates],
                )
            except IntegrityViolation as exc:
                raise _conflict(exc) from exc
            created: list[int] = []
            for marks, part in recap_summary.chunks(codes):
                created += [int(r["id"]) for r in await self.db.fetchall(
                    f"SELECT id FROM children WHERE code IN ({marks})", part)]
            await recap_summary.settle(self.db, [*created, *updated], before)
            await self.db.execute("UPDATE sequences SET value = ? WHERE name = 'child_code'", (n,))
            await self._audit(actor_id, "import", "child", None, {"created": len(creates), "updated": len(updates)})
        return codes



