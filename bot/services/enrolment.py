"""Registering a child (`/anak_baru`): reading each answer, duplicate detection, creating the child and the
parent's link code. No telegram imports; answers that cannot be used raise `InputIssue` with a code.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.growth.models import MAX_AGE_DAYS
from bot.i18n import ParseError, parse_date
from bot.services.measurement import InputIssue
from storage import Repositories
from storage.errors import InvalidInput
from storage.models import Child, ChildCreate, Invite, InviteCreate, Role, Sex
from storage.values import clean_name, normalise_phone, validate_nik

log = logging.getLogger(__name__)

MAX_NAME = 80
MAX_ADDRESS = 200
# A parent link is a secret: short-lived and single use (a second parent gets a new link from /riwayat).
PARENT_LINK_VALID = dt.timedelta(days=14)
_RT_RW = re.compile(r"\bRT\.?\s*:?\s*(\d{1,3})\s*(?:/|,|\s)\s*(?:RW\.?\s*:?\s*)?(\d{1,3})?\b", re.IGNORECASE)
_RW = re.compile(r"\bRW\.?\s*:?\s*(\d{1,3})\b", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


# Typed instead of pressing [Skip] at an optional step (phone, NIK, address).
SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "-", "lewatkan", "tidak ada", "tidak punya"})


def is_skip(text: str) -> bool:
    """`lewati`, `Skip`, `-` …: the cadre wants to leave an optional answer empty."""
    return " ".join(text.strip().lower().rstrip(".!").split()) in SKIP_WORDS


def read_name(text: str) -> str:
    """A person's name: letters required, no digits-only or emoji-only answers, at most 80 characters."""
    name = clean_name(text)
    if not name:
        raise InputIssue("empty")
    if len(name) > MAX_NAME:
        raise InputIssue("name_too_long", limit=MAX_NAME)
    if len(_LETTERS.findall(name)) < 2:
        raise InputIssue("name_no_letters")
    if name.startswith("/"):
        raise InputIssue("name_no_letters")
    return name


def read_sex(value: str) -> Sex:
    key = value.strip().upper()
    mapping = {"L": Sex.MALE, "M": Sex.MALE, "LAKI-LAKI": Sex.MALE, "LAKI": Sex.MALE,
               "P": Sex.FEMALE, "F": Sex.FEMALE, "PEREMPUAN": Sex.FEMALE}
    if key not in mapping:
        raise InputIssue("bad_sex")
    return mapping[key]


def read_birth_date(text: str, today: dt.date) -> dt.date:
    """A birth date: readable, with its year, not in the future, a child under five.

    A birth date without a year ("15/11") could be any of five years, and parse_date would silently move one
    still to come to last year: ask for the year instead (`example` is the date with the year it would get).
    """
    try:
        born = parse_date(text[:40], today)
    except ParseError:
        raise InputIssue("not_a_date", text=text) from None
    if _without_year(text[:40], today):
        raise InputIssue("birth_no_year", example=f"{born.day}/{born.month}/{born.year}")
    if born > today:
        raise InputIssue("birth_future")
    age = (today - born).days
    if age > MAX_AGE_DAYS:
        raise InputIssue("over_five", age_days=age)
    return born


def _without_year(text: str, today: dt.date) -> bool:
    """A day and month typed without a year: read against two different years, it gives two dates.
    ("hari ini"/"kemarin" have no digits and are exact, so they count as dated.)"""
    if not any(ch.isdigit() for ch in text):
        return False
    try:
        return parse_date(text, dt.date(today.year, 12, 31)) != parse_date(text, dt.date(today.year - 1, 12, 31))
    except ParseError:  # 29 February in one of the two years: only a year-less text reads differently
        return True


def read_phone(text: str) -> str:
    try:
        return normalise_phone(text)
    except InvalidInput:
        raise InputIssue("bad_phone") from None


def read_nik(text: str) -> str:
    try:
        return validate_nik(text)
    except InvalidInput:
        raise InputIssue("bad_nik") from None


def read_address(text: str) -> tuple[str, str | None, str | None]:
    """`Jl. Melati 5 RT 03/RW 02` -> ("Jl. Melati 5 RT 03/RW 02", "03", "02"); RT and RW are optional."""
    address = clean_name(text)
    if not address or len(_LETTERS.findall(address)) + sum(ch.isdigit() for ch in address) < 2:
        raise InputIssue("empty")
    if len(address) > MAX_ADDRESS:
        raise InputIssue("address_too_long", limit=MAX_ADDRESS)
    rt = rw = None
    if m := _RT_RW.search(address):
        rt, rw = m.group(1).zfill(3), (m.group(2).zfill(3) if m.group(2) else None)
    if rw is None and (m2 := _RW.search(address)):
        rw = m2.group(1).zfill(3)
    return address, rt, rw


@dataclass(frozen=True)
class Enrolled:
    child: Child
    invite: Invite


async def find_duplicate(repos: Repositories, data: dict[str, Any], posyandu_id: int) -> Child | None:
    """A child with the same name (ignoring case and spaces) and birth date in the same posyandu."""
    return await repos.children.find_duplicate(data["name"], dt.date.fromisoformat(data["birth_date"]), posyandu_id)


async def enrol(repos: Repositories, data: dict[str, Any], posyandu_id: int, created_by: int) -> Enrolled:
    """Create the child and a single-use parent link (invite with role parent pointing to the child)."""
    child = await repos.children.create(ChildCreate(
        name=data["name"], sex=Sex(data["sex"]), birth_date=dt.date.fromisoformat(data["birth_date"]),
        posyandu_id=posyandu_id, nik=data.get("nik"), guardian_name=data.get("guardian_name"),
        guardian_phone=data.get("guardian_phone"), address=data.get("address"), rt=data.get("rt"),
        rw=data.get("rw"), created_by=created_by,
    ))
    invite = await parent_link(repos, child, created_by)
    log.info("child %s enrolled at posyandu %s by %s", child.id, posyandu_id, created_by)
    return Enrolled(child=child, invite=invite)


async def parent_link(repos: Repositories, child: Child, created_by: int) -> Invite:
    return await repos.invites.create(InviteCreate(role=Role.PARENT, posyandu_id=child.posyandu_id,
                                                   child_id=child.id, created_by=created_by,
                                                   valid_for=PARENT_LINK_VALID, single_use=True))


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
