"""Storage: SQLite via aiosqlite, numbered SQL migrations, repositories (pydantic models in and out),
and python-telegram-bot persistence on the same database.

    db = await open_database(Path("data/posyandu.db"))
    repos = Repositories(db)
    child = await repos.children.get_by_code("A12")
    await db.close()
"""

from __future__ import annotations

from storage.db import Database, open_database
from storage.errors import (
    Conflict,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnavailable,
    IntegrityViolation,
    InvalidInput,
    InviteInvalid,
    NotFound,
    StorageError,
)
from storage.models import (
    Area,
    AreaLevel,
    Broadcast,
    BroadcastCreate,
    BroadcastStatus,
    Child,
    ChildCreate,
    ChildStatus,
    ChildUpdate,
    Delivery,
    DeliveryStatus,
    Faltering,
    Invite,
    InviteCreate,
    Measurement,
    MeasurementCreate,
    Position,
    Posyandu,
    PosyanduCreate,
    PosyanduSession,
    ReminderStatus,
    Role,
    SessionCreate,
    SessionStatus,
    Sex,
    User,
)
from storage.repositories import Repositories
from storage.values import mask_nik, normalise_child_code, normalise_phone, validate_nik

__all__ = [
    "Area",
    "AreaLevel",
    "Broadcast",
    "BroadcastCreate",
    "BroadcastStatus",
    "Child",
    "ChildCreate",
    "ChildStatus",
    "ChildUpdate",
    "Conflict",
    "Database",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "Delivery",
    "DeliveryStatus",
    "Faltering",
    "IntegrityViolation",
    "InvalidInput",
    "Invite",
    "InviteCreate",
    "InviteInvalid",
    "Measurement",
    "MeasurementCreate",
    "NotFound",
    "Position",
    "Posyandu",
    "PosyanduCreate",
    "PosyanduSession",
    "ReminderStatus",
    "Repositories",
    "Role",
    "SessionCreate",
    "SessionStatus",
    "Sex",
    "StorageError",
    "User",
    "mask_nik",
    "normalise_child_code",
    "normalise_phone",
    "open_database",
    "validate_nik",
]
