"""Errors raised by storage, each carrying an English msgid that callers translate for the user.

`str(exc)` is the English text (for logs); `exc.message(tr)` is the translated one. Parameters never hold
names, NIK or phone numbers, so both are safe to log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


def N_(message: str) -> str:
    """Mark a msgid for extraction (translated later, in the reader's language)."""
    return message


class _Gettext(Protocol):
    def gettext(self, message: str) -> str: ...


# The translator `message()` uses when none is given: the bot's Indonesian catalogs, set by bot.i18n when it is
# loaded (storage does not import bot; without it the English msgid is the message).
default_translator: Callable[[], _Gettext] | None = None


class StorageError(Exception):
    """Base class: a problem the user can be told about in their language."""

    msgid: str = N_("The database could not complete the request.")

    def __init__(self, msgid: str | None = None, **params: Any) -> None:
        if msgid is not None:
            self.msgid = msgid
        self.params = params
        super().__init__(self._format(self.msgid))

    def _format(self, text: str) -> str:
        try:
            return text.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return text

    def message(self, tr: _Gettext | None = None) -> str:
        """The message translated (Indonesian by default)."""
        if tr is None and default_translator is not None:
            tr = default_translator()
        return self._format(tr.gettext(self.msgid) if tr is not None else self.msgid)


class DatabaseUnavailable(StorageError):
    """The file cannot be opened or written (read-only, locked, damaged)."""


class DatabaseReadOnly(DatabaseUnavailable):
    msgid = N_("The database file is read-only: check the permissions of {path}.")


class DatabaseLocked(DatabaseUnavailable):
    msgid = N_("The database is busy (locked by another process). Please try again in a moment.")


class DatabaseCorrupt(DatabaseUnavailable):
    msgid = N_("The database file is damaged or is not a database: {path}.")


class DatabaseOpenFailed(DatabaseUnavailable):
    msgid = N_("The database file cannot be opened: {path}.")


class DatabaseServerUnreachable(DatabaseUnavailable):
    msgid = N_("The database server cannot be reached ({where}). Please try again in a moment.")


class BackupFailed(StorageError):
    msgid = N_("The backup failed: {reason}.")


class MigrationFailed(StorageError):
    msgid = N_("Database migration {version} failed; nothing of it was applied.")


class NotFound(StorageError):
    msgid = N_("Not found.")


class Conflict(StorageError):
    """A uniqueness rule or a state rule was violated."""

    msgid = N_("This conflicts with data already saved.")


class IntegrityViolation(Conflict):
    """A constraint of the schema failed; `detail` names it (e.g. "UNIQUE constraint failed: children.nik")."""

    def __init__(self, msgid: str | None = None, *, detail: str = "", **params: Any) -> None:
        self.detail = detail
        super().__init__(msgid, **params)

    def __str__(self) -> str:
        return f"{super().__str__()} ({self.detail})"


class InvalidInput(StorageError, ValueError):
    """A value that cannot be stored (bad NIK, phone, date ...). Also a ValueError for pydantic."""

    msgid = N_("The value is not valid.")


class InviteInvalid(StorageError):
    msgid = N_("Invite code not found.")


# Message ids used with the generic classes above (extracted by `python -m bot i18n check`).
MSG_CHILD_NOT_FOUND = N_("Child not found.")
MSG_POSYANDU_NOT_FOUND = N_("Posyandu not found.")
MSG_AREA_NOT_FOUND = N_("Area not found.")
MSG_USER_NOT_FOUND = N_("User not found.")
MSG_MEASUREMENT_NOT_FOUND = N_("Measurement not found.")
MSG_BROADCAST_NOT_FOUND = N_("Broadcast not found.")
MSG_DUPLICATE_NIK = N_("Another child already has this NIK.")
MSG_DUPLICATE_CODE = N_("The child code {code} is already in use.")
MSG_DUPLICATE_AREA = N_("An area with this name already exists there.")
MSG_DUPLICATE_POSYANDU = N_("A posyandu with this name already exists in this kelurahan.")
MSG_INVALID_NIK = N_("NIK must be exactly 16 digits.")
MSG_INVALID_PHONE = N_("The phone number is not valid; write it like 0812 3456 7890.")
MSG_INVALID_CODE = N_("The child code is not valid; use a letter followed by digits, e.g. A12.")
MSG_FUTURE_DATE = N_("The date is in the future.")
MSG_BEFORE_BIRTH = N_("The measurement date is before the birth date.")
MSG_BAD_PARENT_LEVEL = N_("A {level} must lie inside a {parent}.")
MSG_POSYANDU_NEEDS_KELURAHAN = N_("A posyandu must belong to a kelurahan/desa.")
MSG_BAD_SCOPE = N_("This role needs a different scope (admin: none, coordinator: an area, cadre: a posyandu).")
MSG_INVITE_EXPIRED = N_("This invite code has expired.")
MSG_INVITE_USED = N_("This invite code has already been used.")
MSG_ALREADY_CORRECTED = N_("This measurement has already been corrected; correct the newest one.")
MSG_NOT_A_PARENT = N_("Only the data of a parent account can be deleted this way.")
MSG_UNKNOWN_TIMEZONE = N_("Unknown time zone; use Asia/Jakarta, Asia/Makassar or Asia/Jayapura.")
