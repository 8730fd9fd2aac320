"""Repositories: the only place with SQL. `Repositories(db)` builds them all on one `Database`."""

from __future__ import annotations

from storage.db import Database
from storage.repositories.children import ChildMatchIndex, ChildRepository
from storage.repositories.measurements import MeasurementRepository
from storage.repositories.outreach import (
    AuditRepository,
    BroadcastRepository,
    ReminderRepository,
    SessionRepository,
    TipRepository,
)
from storage.repositories.people import GuardianRepository, InviteRepository, UserRepository
from storage.repositories.places import AreaRepository, PosyanduRepository


class Repositories:
    """`repos = Repositories(db)`; `await repos.children.get_by_code("A12")`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.areas = AreaRepository(db)
        self.posyandu = PosyanduRepository(db)
        self.users = UserRepository(db)
        self.invites = InviteRepository(db)
        self.children = ChildRepository(db)
        self.guardians = GuardianRepository(db)
        self.measurements = MeasurementRepository(db)
        self.sessions = SessionRepository(db)
        self.reminders = ReminderRepository(db)
        self.tips = TipRepository(db)
        self.broadcasts = BroadcastRepository(db)
        self.audit = AuditRepository(db)


__all__ = [
    "AreaRepository",
    "AuditRepository",
    "BroadcastRepository",
    "ChildMatchIndex",
    "ChildRepository",
    "GuardianRepository",
    "InviteRepository",
    "MeasurementRepository",
    "PosyanduRepository",
    "ReminderRepository",
    "Repositories",
    "SessionRepository",
    "TipRepository",
    "UserRepository",
]
