"""Areas (city > kecamatan > kelurahan/desa) and posyandu."""

from __future__ import annotations

import builtins
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.db import Database
from storage.errors import (
    MSG_AREA_NOT_FOUND,
    MSG_BAD_PARENT_LEVEL,
    MSG_DUPLICATE_AREA,
    MSG_DUPLICATE_POSYANDU,
    MSG_POSYANDU_NEEDS_KELURAHAN,
    MSG_POSYANDU_NOT_FOUND,
    MSG_UNKNOWN_TIMEZONE,
    IntegrityViolation,
    InvalidInput,
    NotFound,
)
from storage.models import PARENT_LEVEL, Area, AreaLevel, Posyandu, PosyanduCreate
from storage.repositories.base import Repository, in_list
from storage.values import clean_name, name_key

_AREA_COLS = "id, level, name, parent_id, created_at"
_POSYANDU_COLS = "id, name, area_id, address, timezone, schedule_rule, active, created_at"


async def _places_changed(db: Database) -> None:
    """In the transaction of every change to areas or posyandu: readers that keep the area tree load it again."""
    await db.execute("UPDATE places_version SET version = version + 1 WHERE id = 1")


async def places_stamp(db: Database) -> tuple[int, int, int]:
    """What the area tree depends on: the change counter, and the largest ids (rows inserted by hand)."""
    row = await db.fetchone(
        "SELECT (SELECT version FROM places_version WHERE id = 1) AS v, (SELECT MAX(id) FROM areas) AS a,"
        " (SELECT MAX(id) FROM posyandu) AS p")
    assert row is not None
    return int(row["v"] or 0), int(row["a"] or 0), int(row["p"] or 0)


class AreaRepository(Repository):
    async def create(self, level: AreaLevel, name: str, parent_id: int | None = None,
                     actor_id: int | None = None) -> Area:
        """A new area; a kecamatan needs a city parent, a kelurahan a kecamatan parent, a city none."""
        level = AreaLevel(level)
        name = clean_name(name)
        if not name:
            raise InvalidInput()
        async with self.db.transaction():
            await self._check_parent(level, parent_id)
            try:
                area_id = await self.db.insert(
                    "INSERT INTO areas (level, name, name_key, parent_id, created_at) VALUES (?, ?, ?, ?, ?)"
                    " RETURNING id",
                    (level.value, name, name_key(name), parent_id, self._now()),
                )
            except IntegrityViolation as exc:
                raise IntegrityViolation(MSG_DUPLICATE_AREA, detail=exc.detail) from exc
            await _places_changed(self.db)
            await self._audit(actor_id, "create", "area", area_id, {"level": level.value})
        return await self.get(area_id)

    async def _check_parent(self, level: AreaLevel, parent_id: int | None) -> None:
        want = PARENT_LEVEL[level]
        if want is None:
            if parent_id is not None:
                raise InvalidInput(MSG_BAD_PARENT_LEVEL, level=level.value, parent="-")
            return
        parent = await self.find_by_id(parent_id) if parent_id is not None else None
        if parent is None or parent.level != want:
            raise InvalidInput(MSG_BAD_PARENT_LEVEL, level=level.value, parent=want.value)

    async def get_or_create(self, level: AreaLevel, name: str, parent_id: int | None = None,
                            actor_id: int | None = None) -> tuple[Area, bool]:
        """The area with this name under this parent, created if missing; `(area, created)`."""
        async with self.db.transaction():
            found = await self.find(name, level=level, parent_id=parent_id)
            if found:
                return found[0], False
            return await self.create(level, name, parent_id, actor_id), True

    async def find_by_id(self, area_id: int) -> Area | None:
        row = await self.db.fetchone(f"SELECT {_AREA_COLS} FROM areas WHERE id = ?", (area_id,))
        return Area.model_validate(row) if row else None

    async def get(self, area_id: int) -> Area:
        area = await self.find_by_id(area_id)
        if area is None:
            raise NotFound(MSG_AREA_NOT_FOUND)
        return area

    async def find(self, name: str, *, level: AreaLevel | None = None, parent_id: int | None = None) -> list[Area]:
        """Areas with this name (case- and space-insensitive), optionally of one level / under one parent."""
        sql = f"SELECT {_AREA_COLS} FROM areas WHERE name_key = ?"
        params: list[object] = [name_key(name)]
        if level is not None:
            sql += " AND level = ?"
            params.append(AreaLevel(level).value)
        if parent_id is not None:
            sql += " AND parent_id = ?"
            params.append(parent_id)
        rows = await self.db.fetchall(sql + " ORDER BY id", params)
        return [Area.model_validate(r) for r in rows]

    async def list_all(self, *, level: AreaLevel | None = None, parent_id: int | None = None) -> list[Area]:
        sql = f"SELECT {_AREA_COLS} FROM areas WHERE 1 = 1"
        params: list[object] = []
        if level is not None:
            sql += " AND level = ?"
            params.append(AreaLevel(level).value)
        if parent_id is not None:
            sql += " AND parent_id = ?"
            params.append(parent_id)
        rows = await self.db.fetchall(sql + " ORDER BY name_key, id", params)
        return [Area.model_validate(r) for r in rows]

    async def list(self, *, level: AreaLevel | None = None, parent_id: int | None = None) -> builtins.list[Area]:
        """Same as `list_all`."""
        return await self.list_all(level=level, parent_id=parent_id)

    async def ancestors(self, area_id: int) -> builtins.list[Area]:
        """The area itself first, then its parent, up to the city."""
        rows = await self.db.fetchall(
            f"""WITH RECURSIVE chain(id, depth) AS (
                    SELECT id, 0 FROM areas WHERE id = ?
                    UNION ALL
                    SELECT a.parent_id, c.depth + 1 FROM areas a JOIN chain c ON a.id = c.id
                    WHERE a.parent_id IS NOT NULL)
                SELECT {", ".join("a." + c for c in _AREA_COLS.split(", "))}
                FROM chain JOIN areas a ON a.id = chain.id ORDER BY chain.depth""",
            (area_id,),
        )
        return [Area.model_validate(r) for r in rows]

    async def descendant_ids(self, area_id: int) -> builtins.list[int]:
        """The area and every area below it."""
        rows = await self.db.fetchall(
            """WITH RECURSIVE below(id) AS (
                   SELECT id FROM areas WHERE id = ?
                   UNION ALL
                   SELECT a.id FROM areas a JOIN below b ON a.parent_id = b.id)
               SELECT id FROM below""",
            (area_id,),
        )
        return [int(r["id"]) for r in rows]

    async def posyandu_ids_within(self, area_id: int) -> builtins.list[int]:
        """Ids of every posyandu inside the area, at any depth (city, kecamatan or kelurahan)."""
        rows = await self.db.fetchall(
            """WITH RECURSIVE below(id) AS (
                   SELECT id FROM areas WHERE id = ?
                   UNION ALL
                   SELECT a.id FROM areas a JOIN below b ON a.parent_id = b.id)
               SELECT p.id FROM posyandu p JOIN below ON p.area_id = below.id ORDER BY p.id""",
            (area_id,),
        )
        return [int(r["id"]) for r in rows]


class PosyanduRepository(Repository):
    async def create(self, data: PosyanduCreate, actor_id: int | None = None) -> Posyandu:
        _check_timezone(data.timezone)
        async with self.db.transaction():
            area = await self.db.fetchone("SELECT level FROM areas WHERE id = ?", (data.area_id,))
            if area is None or area["level"] != AreaLevel.KELURAHAN.value:
                raise InvalidInput(MSG_POSYANDU_NEEDS_KELURAHAN)
            try:
                pid = await self.db.insert(
                    "INSERT INTO posyandu (name, name_key, area_id, address, timezone, schedule_rule, active,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING id",
                    (data.name, name_key(data.name), data.area_id, data.address, data.timezone,
                     data.schedule_rule, self._now()),
                )
            except IntegrityViolation as exc:
                raise IntegrityViolation(MSG_DUPLICATE_POSYANDU, detail=exc.detail) from exc
            await _places_changed(self.db)
            await self._audit(actor_id, "create", "posyandu", pid, {"area_id": data.area_id})
        return await self.get(pid)

    async def get_or_create(self, data: PosyanduCreate, actor_id: int | None = None) -> tuple[Posyandu, bool]:
        async with self.db.transaction():
            found = await self.find(data.name, area_id=data.area_id)
            if found:
                return found[0], False
            return await self.create(data, actor_id), True

    async def find_by_id(self, posyandu_id: int) -> Posyandu | None:
        row = await self.db.fetchone(f"SELECT {_POSYANDU_COLS} FROM posyandu WHERE id = ?", (posyandu_id,))
        return Posyandu.model_validate(row) if row else None

    async def get(self, posyandu_id: int) -> Posyandu:
        p = await self.find_by_id(posyandu_id)
        if p is None:
            raise NotFound(MSG_POSYANDU_NOT_FOUND)
        return p

    async def get_many(self, posyandu_ids: list[int]) -> list[Posyandu]:
        marks, params = in_list(posyandu_ids)
        rows = await self.db.fetchall(
            f"SELECT {_POSYANDU_COLS} FROM posyandu WHERE id IN ({marks}) ORDER BY name_key, id", params)
        return [Posyandu.model_validate(r) for r in rows]

    async def find(self, name: str, *, area_id: int | None = None) -> list[Posyandu]:
        """Posyandu with this name (case/space-insensitive), optionally in one kelurahan."""
        sql = f"SELECT {_POSYANDU_COLS} FROM posyandu WHERE name_key = ?"
        params: list[object] = [name_key(name)]
        if area_id is not None:
            sql += " AND area_id = ?"
            params.append(area_id)
        rows = await self.db.fetchall(sql + " ORDER BY id", params)
        return [Posyandu.model_validate(r) for r in rows]

    async def list_all(self, *, area_id: int | None = None, active_only: bool = True) -> list[Posyandu]:
        """All posyandu, or those inside `area_id` at any depth."""
        params: list[object] = []
        sql = f"SELECT {_POSYANDU_COLS} FROM posyandu WHERE 1 = 1"
        if area_id is not None:
            sql = f"""WITH RECURSIVE below(id) AS (
                          SELECT id FROM areas WHERE id = ?
                          UNION ALL
                          SELECT a.id FROM areas a JOIN below b ON a.parent_id = b.id)
                      SELECT {_POSYANDU_COLS} FROM posyandu WHERE area_id IN (SELECT id FROM below)"""
            params.append(area_id)
        if active_only:
            sql += " AND active = 1"
        rows = await self.db.fetchall(sql + " ORDER BY name_key, id", params)
        return [Posyandu.model_validate(r) for r in rows]

    async def list(self, *, area_id: int | None = None, active_only: bool = True) -> builtins.list[Posyandu]:
        """Same as `list_all`."""
        return await self.list_all(area_id=area_id, active_only=active_only)

    async def set_schedule_rule(self, posyandu_id: int, rule: str | None, actor_id: int | None = None) -> None:
        async with self.db.transaction():
            if not await self.db.execute("UPDATE posyandu SET schedule_rule = ? WHERE id = ?", (rule, posyandu_id)):
                raise NotFound(MSG_POSYANDU_NOT_FOUND)
            await _places_changed(self.db)
            await self._audit(actor_id, "set_schedule", "posyandu", posyandu_id)

    async def update(self, posyandu_id: int, *, name: str | None = None, address: str | None = None,
                     timezone: str | None = None, active: bool | None = None,
                     actor_id: int | None = None) -> Posyandu:
        sets: list[str] = []
        params: list[object] = []
        if name is not None:
            sets += ["name = ?", "name_key = ?"]
            params += [clean_name(name), name_key(name)]
        if address is not None:
            sets.append("address = ?")
            params.append(address)
        if timezone is not None:
            _check_timezone(timezone)
            sets.append("timezone = ?")
            params.append(timezone)
        if active is not None:
            sets.append("active = ?")
            params.append(int(active))
        if sets:
            async with self.db.transaction():
                changed = await self.db.execute(
                    f"UPDATE posyandu SET {', '.join(sets)} WHERE id = ?", [*params, posyandu_id])
                if not changed:
                    raise NotFound(MSG_POSYANDU_NOT_FOUND)
                await _places_changed(self.db)
                await self._audit(actor_id, "update", "posyandu", posyandu_id,
                                  {"fields": [s.split(" ")[0] for s in sets]})
        return await self.get(posyandu_id)

    async def area_chain(self, posyandu_id: int) -> builtins.list[int]:
        """Ids of the posyandu's kelurahan, kecamatan and city (nearest first)."""
        p = await self.get(posyandu_id)
        rows = await self.db.fetchall(
            """WITH RECURSIVE chain(id, depth) AS (
                   SELECT id, 0 FROM areas WHERE id = ?
                   UNION ALL
                   SELECT a.parent_id, c.depth + 1 FROM areas a JOIN chain c ON a.id = c.id
                   WHERE a.parent_id IS NOT NULL)
               SELECT id FROM chain ORDER BY depth""",
            (p.area_id,),
        )
        return [int(r["id"]) for r in rows]


def _check_timezone(tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(MSG_UNKNOWN_TIMEZONE) from exc
