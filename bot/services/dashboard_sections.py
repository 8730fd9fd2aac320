"""Report sections of the dashboard that other journeys add: a registry, so a new report needs no change to the page.

A section is a key, a title and a builder that returns figures and tables (plain values the page, the XLSX and
the PDF all show the same way). Issue 14 (programs, sponsors) and issue 16 (follow-up cases) register theirs
when they land, replacing the "not yet available" entries below:

    from bot.services import dashboard_sections as ds

    async def closed_cases(repos, ctx: ds.SectionContext) -> ds.SectionResult:
        ...  # only ctx.posyandu_ids: they are already inside the caller's scope
        return ds.SectionResult(figures=[ds.Figure(N_("Cases closed"), 12)], tables=[...])

    ds.register(ds.Section("cases", N_("Follow-up cases"), frozenset({"overview", "review"}), closed_cases))

A builder gets only posyandu the caller may see (SectionContext.posyandu_ids) and must not widen them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.i18n import N_, Translator
from bot.services.dashboard_scope import DashboardScope
from storage import Repositories

log = logging.getLogger(__name__)

PAGES = frozenset({"overview", "review"})
Value = str | int | float | None


@dataclass(frozen=True)
class SectionContext:
    scope: DashboardScope
    area_id: int | None  # None: the whole installation (admin)
    posyandu_ids: list[int]  # inside the caller's scope
    tr: Translator
    today: dt.date
    month: dt.date | None = None  # the overview's month
    year: int | None = None  # the review's year


@dataclass(frozen=True)
class Figure:
    label: str  # a msgid (translated when shown)
    value: Value
    unit: str = ""  # "%" or ""


@dataclass(frozen=True)
class Table:
    title: str  # msgid
    columns: list[str]  # msgids
    rows: list[list[Value]]


@dataclass(frozen=True)
class SectionResult:
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str | None = None  # msgid: shown under the title


Builder = Callable[[Repositories, SectionContext], Awaitable[SectionResult]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # msgid
    pages: frozenset[str]
    build: Builder | None  # None: not yet available (the page says so)
    unavailable_note: str = N_("Not yet available: this report comes with a later version of the bot.")


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add a section, or replace the one with the same key (a journey taking over its placeholder)."""
    if not section.pages <= PAGES:
        raise ValueError(f"unknown page in {sorted(section.pages)}; use {sorted(PAGES)}")
    SECTIONS[section.key] = section


register(Section("cases", N_("Follow-up cases: opened and closed"), frozenset({"overview", "review"}), None,
                 N_("Not yet available: follow-up cases (opened, followed and closed by health workers) come with "
                    "a later version of the bot. Until then the follow-up list shows the children who need "
                    "action now.")))
register(Section("programs", N_("Programs and sponsors"), frozenset({"overview", "review"}), None,
                 N_("Not yet available: program reports (supplementary food, foster parents) come with a later "
                    "version of the bot.")))


@dataclass(frozen=True)
class ShownSection:
    """A section as the page and the downloads show it: translated, values as they are."""

    key: str
    title: str
    available: bool
    note: str | None
    figures: list[tuple[str, Value, str]]
    tables: list[tuple[str, list[str], list[list[Value]]]]

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "title": self.title, "available": self.available, "note": self.note,
                "figures": [{"label": lbl, "value": v, "unit": u} for lbl, v, u in self.figures],
                "tables": [{"title": t, "columns": c, "rows": r} for t, c, r in self.tables]}


async def build_sections(repos: Repositories, page: str, ctx: SectionContext) -> list[ShownSection]:
    """Every registered section of `page`, built (or marked unavailable), translated."""
    tr = ctx.tr
    out = []
    for section in SECTIONS.values():
        if page not in section.pages:
            continue
        if section.build is None:
            out.append(ShownSection(section.key, tr.gettext(section.title), False,
                                    tr.gettext(section.unavailable_note), [], []))
            continue
        try:
            result = await section.build(repos, ctx)
        except Exception:  # one broken report must not take the page down
            log.exception("dashboard section %s failed", section.key)
            out.append(ShownSection(section.key, tr.gettext(section.title), False,
                                    tr.gettext(N_("This report could not be made just now. Try again later.")),
                                    [], []))
            continue
        out.append(ShownSection(
            section.key, tr.gettext(section.title), True, tr.gettext(result.note) if result.note else None,
            [(tr.gettext(f.label), f.value, f.unit) for f in result.figures],
            [(tr.gettext(t.title), [tr.gettext(c) for c in t.columns], t.rows) for t in result.tables]))
    return out


__all__ = ["PAGES", "SECTIONS", "Builder", "Figure", "Section", "SectionContext", "SectionResult", "ShownSection",
           "Table", "build_sections", "register"]
