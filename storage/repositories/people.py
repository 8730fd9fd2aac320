"""Telegram users, invite codes and guardians (parents' accounts linked to children)."""

from __future__ import annotations

from collections.abc import Collection

from storage.errors import (
    MSG_BAD_SCOPE,
    MSG_CHILD_NOT_FOUND,
    MSG_INVITE_EXPIRED,
    MSG_INVITE_USED,
    MSG_NOT_A_PARENT,
    MSG_USER_NOT_FOUND,
    Conflict,
    InvalidInput,
    InviteInvalid,
    NotFound,
)
from storage.models import Child, Invite, InviteCreate, Role, User
from storage.repositories.base import Repository, in_list
from storage.repositories.children import CHILD_COLS
from storage.values import new_invite_code, to_db_time

_USER_COLS = ("telegram_id, display_name, language, role, area_id, posyandu_id, active, opted_out, created_at,"
              " last_seen_at")
_INVITE_COLS = ("code, role, area_id, posyandu_id, child_id, created_by, created_at, expires_at, single_use,"
                " use_count, used_by, used_at")


def check_scope(role: Role | None, area_id: int | None, posyandu_id: int | None) -> None:
    """admin: no scope; coordinator, health worker, TPK: an area; cadre: a posyandu; parent: a posyandu or none;
    sponsor: none here (a sponsor's reach is its program's children)."""
    ok = {
        None: area_id is None and posyandu_id is None,
        Role.ADMIN: area_id is None and posyandu_id is None,
        Role.COORDINATOR: area_id is not None and posyandu_id is None,
        Role.HEALTH_WORKER: area_id is not None and posyandu_id is None,
        Role.TPK: area_id is not None and posyandu_id is None,
        Role.CADRE: area_id is None and posyandu_id is not None,
        Role.PARENT: area_id is None,
        Role.SPONSOR: area_id is None and posyandu_id is None,
    }[role]
    if not ok:
        raise InvalidInput(MSG_BAD_SCOPE)


class UserRepository(Repository):
    _blocked: set[int] | None = None  # filled on first use, see _blocked_ids

    async def find(self, telegram_id: int) -> User | None:
        row = await self.db.fetchone(f"SELECT {_USER_COLS} FROM users WHERE telegram_id = ?", (telegram_id,))
        return User.model_validate(row) if row else None

    async def find_with_child_ids(self, telegram_id: int) -> tuple[User, set[int]] | None:
        """The user and the ids of the children they are a guardian of, in one query (access checks run it
        on every step of a conversation)."""
        row = await self.db.fetchone(
            f"SELECT {_USER_COLS}, (SELECT group_concat(child_id) FROM guardians g WHERE g.user_id = u.telegram_id)"
            " AS child_ids FROM users u WHERE telegram_id = ?", (telegram_id,))
        if row is None:
            return None
        ids = row.pop("child_ids")
        return User.model_validate(row), {int(i) for i in str(ids).split(",")} if ids else set()

    async def get(self, telegram_id: int) -> User:
        user = await self.find(telegram_id)
        if user is None:
            raise NotFound(MSG_USER_NOT_FOUND)
        return user

    async def upsert(self, telegram_id: int, display_name: str, language: str | None = None) -> User:
        """Create the user on first contact, else refresh the name and last-seen time.

        The language is only set on creation (later changes go through `set_language`, the user's choice).
        """
        now = self._now()
        await self.db.execute(
            "INSERT INTO users (telegram_id, display_name, language, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (telegram_id) DO UPDATE SET display_name = excluded.display_name,"
            " last_seen_at = excluded.last_seen_at",
            (telegram_id, display_name[:200], language or "id", now, now),
        )
        return await self.get(telegram_id)

    async def set_language(self, telegram_id: int, language: str) -> None:
        if not await self.db.execute("UPDATE users SET language = ? WHERE telegram_id = ?", (language, telegram_id)):
            raise NotFound(MSG_USER_NOT_FOUND)

    async def set_role(self, telegram_id: int, role: Role | None, *, area_id: int | None = None,
                       posyandu_id: int | None = None, actor_id: int | None = None) -> User:
        """Give a role and its scope (creating the user row if the person never wrote to the bot)."""
        role = Role(role) if role is not None else None
        check_scope(role, area_id, posyandu_id)
        async with self.db.transaction():
            now = self._now()
            await self.db.execute(
                "INSERT INTO users (telegram_id, role, area_id, posyandu_id, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (telegram_id) DO UPDATE SET role = excluded.role, area_id = excluded.area_id,"
                " posyandu_id = excluded.posyandu_id",
                (telegram_id, role.value if role else None, area_id, posyandu_id, now),
            )
            await self._audit(actor_id, "set_role", "user", telegram_id,
                              {"role": role.value if role else None, "area_id": area_id, "posyandu_id": posyandu_id})
        return await self.get(telegram_id)

    async def set_active(self, telegram_id: int, active: bool, actor_id: int | None = None) -> None:
        """A deliberate (de)activation by staff or an admin; see mark_blocked for a 403 from Telegram."""
        async with self.db.transaction():
            if not await self.db.execute("UPDATE users SET active = ?, blocked_at = NULL WHERE telegram_id = ?",
                                         (int(active), telegram_id)):
                raise NotFound(MSG_USER_NOT_FOUND)
            await self._audit(actor_id, "set_active", "user", telegram_id, {"active": active})

    async def mark_blocked(self, telegram_id: int) -> None:
        """Telegram answered 403: stop pushing to this user until they write to the bot again."""
        await self.db.execute("UPDATE users SET active = 0, blocked_at = ? WHERE telegram_id = ?",
                              (to_db_time(self.db.now()), telegram_id))
        (await self._blocked_ids()).add(telegram_id)

    async def _blocked_ids(self) -> set[int]:
        # Every incoming update asks "was this user blocked?"; answering from memory keeps a database
        # write off the path of every message. One bot process owns the database, and every way of
        # marking a user blocked goes through mark_blocked.
        if self._blocked is None:
            rows = await self.db.fetchall("SELECT telegram_id FROM users WHERE blocked_at IS NOT NULL")
            self._blocked = {int(r["telegram_id"]) for r in rows}
        return self._blocked

    async def unblock_if_blocked(self, telegram_id: int) -> bool:
        """A message from a user who had blocked the bot: reachable again (a deliberate deactivation stays)."""
        blocked = await self._blocked_ids()
        if telegram_id not in blocked:
            return False
        blocked.discard(telegram_id)
        return bool(await self.db.execute(
            "UPDATE users SET active = 1, blocked_at = NULL WHERE telegram_id = ? AND blocked_at IS NOT NULL",
            (telegram_id,)))

    async def set_opt_out(self, telegram_id: int, opted_out: bool) -> None:
        if not await self.db.execute("UPDATE users SET opted_out = ? WHERE telegram_id = ?",
                                     (int(opted_out), telegram_id)):
            raise NotFound(MSG_USER_NOT_FOUND)

    async def touch(self, telegram_id: int) -> None:
        await self.db.execute("UPDATE users SET last_seen_at = ? WHERE telegram_id = ?", (self._now(), telegram_id))

    async def list_users(self, *, role: Role | None = None, posyandu_ids: Collection[int] | None = None,
                         area_ids: Collection[int] | None = None, active_only: bool = True) -> list[User]:
        """Users by role and scope (staff lists, admins)."""
        sql = f"SELECT {_USER_COLS} FROM users WHERE 1 = 1"
        params: list[object] = []
        if role is not None:
            sql += " AND role = ?"
            params.append(Role(role).value)
        if active_only:
            sql += " AND active = 1"
        if posyandu_ids is not None:
            marks, vals = in_list(posyandu_ids)
            sql += f" AND posyandu_id IN ({marks})"
            params += vals
        if area_ids is not None:
            marks, vals = in_list(area_ids)
            sql += f" AND area_id IN ({marks})"
            params += vals
        rows = await self.db.fetchall(sql + " ORDER BY telegram_id", params)
        return [User.model_validate(r) for r in rows]

    async def push_recipients_for_posyandu(self, posyandu_ids: Collection[int], *, parents: bool = True,
                                           cadres: bool = False, exclude: Collection[int] = ()) -> list[int]:
        """Telegram ids of active, not opted-out parents and/or cadres of these posyandu, without duplicates.

        Parents through a linked active child, or through their own posyandu scope (invited to a posyandu,
        no child linked yet). A cadre who is also a guardian counts as a parent too. Used by broadcasts.
        """
        marks, vals = in_list(posyandu_ids)
        parts: list[str] = []
        params: list[object] = []
        if parents:
            parts.append(
                f"SELECT g.user_id AS uid FROM guardians g JOIN children c ON c.id = g.child_id"
                f" JOIN users u ON u.telegram_id = g.user_id"
                f" WHERE c.posyandu_id IN ({marks}) AND c.status = 'active' AND u.active = 1 AND u.opted_out = 0")
            params += vals
            parts.append(
                f"SELECT telegram_id AS uid FROM users WHERE role = 'parent' AND posyandu_id IN ({marks})"
                f" AND active = 1 AND opted_out = 0")
            params += vals
        if cadres:
            parts.append(
                f"SELECT telegram_id AS uid FROM users WHERE role = 'cadre' AND posyandu_id IN ({marks})"
                f" AND active = 1 AND opted_out = 0")
            params += vals
        if not parts:
            return []
        rows = await self.db.fetchall(" UNION ".join(parts) + " ORDER BY uid", params)
        skip = set(exclude)
        return [int(r["uid"]) for r in rows if int(r["uid"]) not in skip]

    async def delete_parent_data(self, telegram_id: int, actor_id: int | None = None) -> bool:
        """Forget a parent: links to children, tips and reminders sent, deliveries, bot state, the account.

        Children and their measurements stay (they belong to the posyandu's register). Refused for staff.
        Returns False when the user did not exist.
        """
        async with self.db.transaction():
            user = await self.find(telegram_id)
            if user is None:
                return False
            if user.role not in (None, Role.PARENT):
                raise Conflict(MSG_NOT_A_PARENT)
            for sql in (
                "DELETE FROM guardians WHERE user_id = ?",
                "DELETE FROM tips_sent WHERE user_id = ?",
                "DELETE FROM reminders_sent WHERE recipient_id = ?",
                "DELETE FROM broadcast_deliveries WHERE recipient_id = ?",
                "DELETE FROM ptb_user_data WHERE user_id = ?",
                "DELETE FROM ptb_chat_data WHERE chat_id = ?",  # a private chat's id is the user's id
                "UPDATE invites SET used_by = NULL WHERE used_by = ?",
                "DELETE FROM users WHERE telegram_id = ?",
            ):
                await self.db.execute(sql, (telegram_id,))
            await self._audit(actor_id if actor_id is not None else telegram_id, "delete_parent_data", "user",
                              telegram_id)
        return True


class InviteRepository(Repository):
    async def create(self, data: InviteCreate) -> Invite:
        check_scope(data.role if data.role != Role.PARENT else Role.PARENT, data.area_id, data.posyandu_id)
        now = self.db.now()
        async with self.db.transaction():
            code = data.code or await self._free_code()
            await self.db.execute(
                f"INSERT INTO invites ({_INVITE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)",
                (code, data.role.value, data.area_id, data.posyandu_id, data.child_id, data.created_by,
                 to_db_time(now), to_db_time(now + data.valid_for), int(data.single_use)),
            )
            await self._audit(data.created_by, "create", "invite", None,
                              {"role": data.role.value, "area_id": data.area_id, "posyandu_id": data.posyandu_id,
                               "child_id": data.child_id})
        return await self._get(code)

    async def _free_code(self) -> str:
        while True:
            code = new_invite_code()
            if await self.db.fetchone("SELECT 1 FROM invites WHERE code = ?", (code,)) is None:
                return code

    async def _get(self, code: str) -> Invite:
        row = await self.db.fetchone(f"SELECT {_INVITE_COLS} FROM invites WHERE code = ?", (code,))
        if row is None:
            raise InviteInvalid()
        return Invite.model_validate(row)

    async def find(self, code: str) -> Invite | None:
        row = await self.db.fetchone(f"SELECT {_INVITE_COLS} FROM invites WHERE code = ?",
                                     (code.strip().upper(),))
        return Invite.model_validate(row) if row else None

    async def redeem(self, code: str, telegram_id: int, display_name: str = "",
                     language: str | None = None) -> Invite:
        """Use an invite, in one transaction: mark it used, give the role and scope, link the child.

        Raises InviteInvalid (unknown code, expired, already used). A parent invite never lowers a staff
        member's role: a cadre who is also a mother keeps her role and gets the child linked.
        """
        code = code.strip().upper()
        now = self.db.now()
        stamp = to_db_time(now)
        async with self.db.transaction():
            row = await self.db.fetchone(f"SELECT {_INVITE_COLS} FROM invites WHERE code = ?", (code,))
            if row is None:
                raise InviteInvalid()
            invite = Invite.model_validate(row)
            if invite.expires_at <= now:
                raise InviteInvalid(MSG_INVITE_EXPIRED)
            # The condition in the UPDATE is what makes single use hold under concurrency.
            changed = await self.db.execute(
                "UPDATE invites SET use_count = use_count + 1, used_by = ?, used_at = ?"
                " WHERE code = ? AND expires_at > ? AND (single_use = 0 OR use_count = 0)",
                (telegram_id, stamp, code, stamp),
            )
            if not changed:
                raise InviteInvalid(MSG_INVITE_USED)
            await self.db.execute(
                "INSERT INTO users (telegram_id, display_name, language, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (telegram_id) DO NOTHING",
                (telegram_id, display_name[:200], language or "id", stamp, stamp),
            )
            current = await self.db.fetchone("SELECT role FROM users WHERE telegram_id = ?", (telegram_id,))
            current_role = current["role"] if current else None
            if invite.role != Role.PARENT:
                # A staff invite is a coordinator's decision: it may reactivate a deactivated account.
                await self.db.execute(
                    "UPDATE users SET role = ?, area_id = ?, posyandu_id = ?, active = 1 WHERE telegram_id = ?",
                    (invite.role.value, invite.area_id, invite.posyandu_id, telegram_id),
                )
            elif current_role in (None, Role.PARENT.value):
                # Any parent code must not undo a deliberate deactivation.
                await self.db.execute(
                    "UPDATE users SET role = ?, area_id = ?, posyandu_id = ? WHERE telegram_id = ?",
                    (invite.role.value, invite.area_id, invite.posyandu_id, telegram_id),
                )
            if invite.child_id is not None:
                await self.db.execute(
                    "INSERT INTO guardians (child_id, user_id, relation, created_at) VALUES (?, ?, NULL, ?)"
                    " ON CONFLICT (child_id, user_id) DO NOTHING",
                    (invite.child_id, telegram_id, stamp),
                )
            await self._audit(telegram_id, "redeem", "invite", None,
                              {"role": invite.role.value, "child_id": invite.child_id})
        return await self._get(code)

    async def revoke(self, code: str, actor_id: int | None = None) -> bool:
        """Expire an invite now."""
        async with self.db.transaction():
            changed = await self.db.execute("UPDATE invites SET expires_at = ? WHERE code = ?",
                                            (self._now(), code.strip().upper()))
            if changed:
                await self._audit(actor_id, "revoke", "invite", None)
        return bool(changed)

    async def list_by_creator(self, created_by: int, *, include_expired: bool = False) -> list[Invite]:
        sql = f"SELECT {_INVITE_COLS} FROM invites WHERE created_by = ?"
        params: list[object] = [created_by]
        if not include_expired:
            sql += " AND expires_at > ?"
            params.append(self._now())
        rows = await self.db.fetchall(sql + " ORDER BY created_at DESC", params)
        return [Invite.model_validate(r) for r in rows]


class GuardianRepository(Repository):
    async def link(self, child_id: int, user_id: int, relation: str | None = None,
                   actor_id: int | None = None) -> None:
        """Link a parent's account to a child (idempotent). The user row must exist."""
        async with self.db.transaction():
            if await self.db.fetchone("SELECT 1 FROM children WHERE id = ?", (child_id,)) is None:
                raise NotFound(MSG_CHILD_NOT_FOUND)
            if await self.db.fetchone("SELECT 1 FROM users WHERE telegram_id = ?", (user_id,)) is None:
                raise NotFound(MSG_USER_NOT_FOUND)
            await self.db.execute(
                "INSERT INTO guardians (child_id, user_id, relation, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (child_id, user_id) DO UPDATE SET relation = excluded.relation",
                (child_id, user_id, relation, self._now()),
            )
            await self._audit(actor_id, "link", "guardian", child_id, {"user_id": user_id})

    async def unlink(self, child_id: int, user_id: int, actor_id: int | None = None) -> bool:
        async with self.db.transaction():
            changed = await self.db.execute("DELETE FROM guardians WHERE child_id = ? AND user_id = ?",
                                            (child_id, user_id))
            if changed:
                await self._audit(actor_id, "unlink", "guardian", child_id, {"user_id": user_id})
        return bool(changed)

    async def children_of(self, user_id: int) -> list[Child]:
        cols = ", ".join("c." + c for c in CHILD_COLS.split(", "))
        rows = await self.db.fetchall(
            f"SELECT {cols} FROM children c JOIN guardians g ON g.child_id = c.id WHERE g.user_id = ?"
            " ORDER BY c.birth_date, c.id",
            (user_id,),
        )
        return [Child.model_validate(r) for r in rows]

    async def child_ids_of(self, user_id: int) -> set[int]:
        rows = await self.db.fetchall("SELECT child_id FROM guardians WHERE user_id = ?", (user_id,))
        return {int(r["child_id"]) for r in rows}

    async def guardians_of(self, child_id: int) -> list[User]:
        cols = ", ".join("u." + c.strip() for c in _USER_COLS.split(","))
        rows = await self.db.fetchall(
            f"SELECT {cols} FROM users u JOIN guardians g ON g.user_id = u.telegram_id WHERE g.child_id = ?"
            " ORDER BY u.telegram_id",
            (child_id,),
        )
        return [User.model_validate(r) for r in rows]



