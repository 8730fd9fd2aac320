"""Pydantic models that go into and come out of the repositories (no SQL here)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storage.values import clean_name, mask_nik, normalise_phone, validate_child_code, validate_nik


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CADRE = "cadre"
    PARENT = "parent"
    HEALTH_WORKER = "health_worker"  # bidan / puskesmas staff, scoped to an area (migration 0062)
    TPK = "tpk"  # Tim Pendamping Keluarga member, scoped to a kelurahan/desa
    SPONSOR = "sponsor"  # orang tua asuh: a program's anonymised children only


class AreaLevel(StrEnum):
    CITY = "city"  # kota / kabupaten
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"  # kelurahan / desa


PARENT_LEVEL: dict[AreaLevel, AreaLevel | None] = {
    AreaLevel.CITY: None,
    AreaLevel.KECAMATAN: AreaLevel.CITY,
    AreaLevel.KELURAHAN: AreaLevel.KECAMATAN,
}


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class ChildStatus(StrEnum):
    ACTIVE = "active"
    MOVED = "moved"
    DECEASED = "deceased"


class Position(StrEnum):
    LYING = "lying"  # length (berbaring)
    STANDING = "standing"  # height (berdiri)


class Faltering(StrEnum):
    N = "N"  # naik
    T = "T"  # tidak naik
    O = "O"  # weighed this month, not last month  # noqa: E741
    B = "B"  # first weighing (baru)
    T2 = "2T"  # second T in a row


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class BroadcastStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


Indicator = Literal["waz", "haz", "whz", "bmiz", "hcz", "muacz"]
INDICATORS: tuple[Indicator, ...] = ("waz", "haz", "whz", "bmiz", "hcz", "muacz")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------ places


class Area(_Model):
    id: int
    level: AreaLevel
    name: str
    parent_id: int | None
    created_at: dt.datetime


class PosyanduCreate(_Model):
    name: str = Field(min_length=1, max_length=120)
    area_id: int  # a kelurahan/desa
    address: str | None = None
    timezone: str = "Asia/Jakarta"
    schedule_rule: str | None = None  # format owned by the reminders service (text or JSON)

    _clean = field_validator("name")(lambda v: clean_name(v))


class Posyandu(_Model):
    id: int
    name: str
    area_id: int
    address: str | None
    timezone: str
    schedule_rule: str | None
    active: bool
    created_at: dt.datetime


# ------------------------------------------------------------------ people


class User(_Model):
    telegram_id: int
    display_name: str = Field(repr=False)
    language: str
    role: Role | None  # None: known to the bot but not registered yet
    area_id: int | None  # scope of a coordinator
    posyandu_id: int | None  # scope of a cadre (and of a parent invited through a posyandu)
    active: bool
    opted_out: bool  # no pushes (reminders, tips, broadcasts)
    created_at: dt.datetime
    last_seen_at: dt.datetime | None


class InviteCreate(_Model):
    role: Role
    area_id: int | None = None
    posyandu_id: int | None = None
    child_id: int | None = None  # a parent's invite may point to one child
    created_by: int | None = None
    valid_for: dt.timedelta = dt.timedelta(days=7)
    single_use: bool = True
    code: str | None = None  # generated when None


class Invite(_Model):
    code: str
    role: Role
    area_id: int | None
    posyandu_id: int | None
    child_id: int | None
    created_by: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    single_use: bool
    use_count: int
    used_by: int | None
    used_at: dt.datetime | None


# ------------------------------------------------------------------ children


def _opt_nik(v: str | None) -> str | None:
    if v is None or not str(v).strip():
        return None
    return validate_nik(str(v))


def _opt_phone(v: str | None) -> str | None:
    if v is None or not str(v).strip():
        return None
    return normalise_phone(str(v))


def _opt_text(v: str | None) -> str | None:
    if v is None:
        return None
    cleaned = clean_name(str(v))
    return cleaned or None


class ChildCreate(_Model):
    name: str = Field(min_length=1, max_length=120, repr=False)
    sex: Sex
    birth_date: dt.date
    posyandu_id: int
    nik: str | None = Field(default=None, repr=False)
    guardian_name: str | None = Field(default=None, repr=False)
    guardian_phone: str | None = Field(default=None, repr=False)
    address: str | None = Field(default=None, repr=False)
    rt: str | None = None
    rw: str | None = None
    birth_weight_kg: float | None = Field(default=None, gt=0, lt=10)
    birth_length_cm: float | None = Field(default=None, gt=0, lt=70)
    code: str | None = None  # allocated (A1, A2, ...) when None
    created_by: int | None = None

    _name = field_validator("name")(lambda v: clean_name(v))
    _nik = field_validator("nik")(_opt_nik)
    _phone = field_validator("guardian_phone")(_opt_phone)
    _texts = field_validator("guardian_name", "address", "rt", "rw")(_opt_text)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        return validate_child_code(v) if v else None


class ChildUpdate(_Model):
    """Only the fields that are set are changed (`ChildUpdate(guardian_phone="0812...")`)."""

    name: str | None = Field(default=None, min_length=1, max_length=120, repr=False)
    sex: Sex | None = None
    birth_date: dt.date | None = None
    posyandu_id: int | None = None
    nik: str | None = Field(default=None, repr=False)
    guardian_name: str | None = Field(default=None, repr=False)
    guardian_phone: str | None = Field(default=None, repr=False)
    address: str | None = Field(default=None, repr=False)
    rt: str | None = None
    rw: str | None = None
    birth_weight_kg: float | None = Field(default=None, gt=0, lt=10)
    birth_length_cm: float | None = Field(default=None, gt=0, lt=70)
    status: ChildStatus | None = None

    _name = field_validator("name")(lambda v: clean_name(v) if v is not None else None)
    _nik = field_validator("nik")(_opt_nik)
    _phone = field_validator("guardian_phone")(_opt_phone)
    _texts = field_validator("guardian_name", "address", "rt", "rw")(_opt_text)

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Child(_Model):
    """A registered child. Personal fields are left out of repr() so a logged object leaks nothing."""

    id: int
    code: str
    name: str = Field(repr=False)
    sex: Sex
    birth_date: dt.date
    nik: str | None = Field(repr=False)
    guardian_name: str | None = Field(repr=False)
    guardian_phone: str | None = Field(repr=False)
    posyandu_id: int
    address: str | None = Field(repr=False)
    rt: str | None = Field(repr=False)
    rw: str | None = Field(repr=False)
    birth_weight_kg: float | None
    birth_length_cm: float | None
    status: ChildStatus
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    def age_days(self, on: dt.date) -> int:
        return (on - self.birth_date).days


# ------------------------------------------------------------------ measurements


class MeasurementCreate(_Model):
    """A measurement plus what the growth engine computed from it (stored as plain numbers and keys)."""

    child_id: int
    measured_on: dt.date
    weight_kg: float | None = Field(default=None, gt=0, lt=300)  # sanity only: the growth engine judges
    length_cm: float | None = Field(default=None, gt=0, lt=300)
    position: Position | None = None
    oedema: bool = False
    head_cm: float | None = Field(default=None, gt=0, lt=80)
    muac_cm: float | None = Field(default=None, gt=0, lt=50)
    entered_by: int | None = None
    age_days: int | None = None  # computed from the birth date when None
    waz: float | None = None
    haz: float | None = None
    whz: float | None = None
    bmiz: float | None = None
    hcz: float | None = None
    muacz: float | None = None
    flags: tuple[str, ...] = ()  # e.g. ("implausible_waz", "standing_under_9_months")
    implausible: bool | None = None  # None: true when any flag starts with "implausible"
    categories: dict[Indicator, str] = Field(default_factory=dict)  # {"haz": "stunted", ...}
    faltering: Faltering | None = None
    bgm: bool = False  # below the red line (WAZ < -3)
    note: str | None = None

    @model_validator(mode="after")
    def _derive_implausible(self) -> MeasurementCreate:
        if self.implausible is None:
            object.__setattr__(self, "implausible", any(f.startswith("implausible") for f in self.flags))
        return self


class Measurement(_Model):
    id: int
    child_id: int
    measured_on: dt.date
    age_days: int
    weight_kg: float | None
    length_cm: float | None
    position: Position | None
    oedema: bool
    head_cm: float | None
    muac_cm: float | None
    entered_by: int | None
    waz: float | None
    haz: float | None
    whz: float | None
    bmiz: float | None
    hcz: float | None
    muacz: float | None
    flags: tuple[str, ...]
    implausible: bool
    categories: dict[Indicator, str]
    faltering: Faltering | None
    bgm: bool
    note: str | None
    supersedes_id: int | None
    superseded_by: int | None
    created_at: dt.datetime

    @property
    def is_current(self) -> bool:
        return self.superseded_by is None


# ------------------------------------------------------------------ schedule, reminders, broadcasts


class SessionCreate(_Model):
    posyandu_id: int
    session_date: dt.date
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    status: SessionStatus = SessionStatus.SCHEDULED
    note: str | None = None


class PosyanduSession(_Model):
    id: int
    posyandu_id: int
    session_date: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    status: SessionStatus
    moved_to: dt.date | None
    note: str | None
    created_at: dt.datetime


class ReminderRecord(_Model):
    id: int
    idempotency_key: str
    recipient_id: int
    kind: str
    sent_at: dt.datetime
    status: ReminderStatus


class BroadcastCreate(_Model):
    author_id: int
    text: str = ""
    media_file_id: str | None = None
    media_type: str | None = None  # "photo", "document", ...
    audience: str  # "parents", "cadres", "all", ... (owned by the broadcast service)
    scope_area_id: int | None = None
    scope_posyandu_id: int | None = None


class Broadcast(_Model):
    id: int
    author_id: int
    text: str
    media_file_id: str | None
    media_type: str | None
    audience: str
    scope_area_id: int | None
    scope_posyandu_id: int | None
    created_at: dt.datetime
    status: BroadcastStatus


class Delivery(_Model):
    id: int
    broadcast_id: int
    recipient_id: int
    status: DeliveryStatus
    attempts: int
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None


class AuditEntry(_Model):
    id: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    details: dict[str, object]
    created_at: dt.datetime
