"""Age-tailored tips for parents (content/tips.toml): which one to give next, and remembering what was sent.

Public API (the reminders service pushes one a week with it):
    tip = await next_tip(repos, user_id, child_id, today, lang)   # Tip | None
    await mark_sent(repos, user_id, tip.id, now)

A tip is not repeated to the same parent until every tip that fits the child's age has been sent; then the
cycle starts again with the one sent longest ago. Tips made for a narrow age come before all-ages ones.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.growth.age import completed_months
from storage import parent_queries as q
from storage.models import ChildStatus

TIPS_PATH = Path(__file__).resolve().parents[2] / "content" / "tips.toml"
MAX_MONTHS = 59  # tips are for under-fives


@dataclass(frozen=True)
class Tip:
    """A tip ready to send: `text` is already in the requested language (plain text, not HTML)."""

    id: str
    text: str
    source: str


@dataclass(frozen=True)
class TipEntry:
    id: str
    min_months: int
    max_months: int
    texts: Mapping[str, str]
    source: str

    def fits(self, months: int) -> bool:
        return self.min_months <= months <= self.max_months

    def in_lang(self, lang: str) -> Tip:
        return Tip(id=self.id, text=self.texts.get(lang) or self.texts["id"], source=self.source)


@cache
def load_tips(path: Path = TIPS_PATH) -> tuple[TipEntry, ...]:
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    entries = tuple(
        TipEntry(id=str(t["id"]), min_months=int(t["min_months"]), max_months=int(t["max_months"]),
                 texts={"id": str(t["id_text"]).strip(), "en": str(t["en_text"]).strip()}, source=str(t["source"]))
        for t in data["tip"]
    )
    if len({e.id for e in entries}) != len(entries):
        raise ValueError("duplicate tip ids in " + str(path))
    return entries


def tips_for_age(months: int, entries: Sequence[TipEntry] | None = None) -> list[TipEntry]:
    """Tips that fit a child of `months` completed months, the most age-specific first."""
    pool = load_tips() if entries is None else entries
    fitting = [e for e in pool if e.fits(months)]
    order = {e.id: i for i, e in enumerate(pool)}
    return sorted(fitting, key=lambda e: (e.max_months - e.min_months, order[e.id]))


def choose_tip(candidates: Sequence[TipEntry], sent: Mapping[str, dt.datetime]) -> TipEntry | None:
    """The first candidate never sent; when all were sent, the one sent longest ago (a new round)."""
    if not candidates:
        return None
    for entry in candidates:
        if entry.id not in sent:
            return entry
    return min(candidates, key=lambda e: sent[e.id])


async def next_tip(repos: Any, user_id: int, child_id: int, today: dt.date, lang: str) -> Tip | None:
    """The next tip for this parent about this child, in `lang`; None if the child is unknown, not active,
    not born yet or over five (no tips fit)."""
    child = await repos.children.find_by_id(child_id)
    if child is None or child.status != ChildStatus.ACTIVE:
        return None
    age_days = (today - child.birth_date).days
    if age_days < 0:
        return None
    months = completed_months(age_days)
    if months > MAX_MONTHS:
        return None
    entry = choose_tip(tips_for_age(months), await q.tip_history(repos.db, user_id))
    return entry.in_lang(lang) if entry else None


async def general_tip(repos: Any, user_id: int, lang: str) -> Tip | None:
    """A tip for a parent with no linked child yet: one that fits every age."""
    pool = [e for e in load_tips() if e.min_months == 0 and e.max_months >= MAX_MONTHS]
    entry = choose_tip(pool, await q.tip_history(repos.db, user_id))
    return entry.in_lang(lang) if entry else None


async def mark_sent(repos: Any, user_id: int, tip_id: str, when: dt.datetime) -> None:
    """Remember that `tip_id` went to `user_id` at `when` (aware datetime)."""
    await q.record_tip(repos.db, user_id, tip_id, when)
