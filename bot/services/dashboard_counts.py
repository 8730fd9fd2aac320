"""Month counts for the dashboard's 12-month trends: bot.services.status.month_counts, kept per posyandu and month.

Counting a city of 1,000,000 measurements takes month_counts about 0.8 s a month here (benchmarks/dashboard.py),
so twelve months would take ten. The answers are kept (storage.dashboard_queries, migration 0100) and stay
current on write: whenever children's statuses are decided, the status service tells `_decided` (a
DECIDED_LISTENERS entry) and their posyandu's version goes up; a registration, a move or a child leaving changes
the posyandu's children fingerprint. A read counts again, with month_counts itself, only the posyandu and months
whose kept row is stale, so every number is the one /rekap gives.

Importing this module registers the listener: the bot (handlers/dashboard.py) and the CLI (bot/cli/dashboard.py)
import it, so every process that decides statuses keeps the versions current.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Collection, Sequence
from weakref import WeakKeyDictionary

from bot.services import status as status_svc
from storage import Database, Repositories
from storage import dashboard_queries as dq
from storage.status_queries import ChildDecision, PosyanduCounts

log = logging.getLogger(__name__)

Counts = tuple[int, ...]  # one posyandu's month in dq.COUNT_FIELDS order
_LOCK = asyncio.Lock()  # one reader counts stale rows at a time (a second one then finds them current)
# The last tables read, with the posyandu state they were read at: a repeated read (the same area and months, the
# usual case) costs one small query instead of reading 6,000 kept rows of a city again.
_Tables = OrderedDict[tuple[object, ...], tuple[dq.PosyanduState, dict[dt.date, dict[int, Counts]]]]
_TABLES: WeakKeyDictionary[Database, _Tables] = WeakKeyDictionary()  # per open database
_MAX_TABLES = 16


async def _decided(repos: Repositories, decisions: Sequence[ChildDecision]) -> None:
    if decisions:
        await dq.raise_versions_of_children(repos.db, [d.child_id for d in decisions])


if _decided not in status_svc.DECIDED_LISTENERS:
    status_svc.DECIDED_LISTENERS.append(_decided)


def months_back(month: dt.date, n: int) -> list[dt.date]:
    """The `n` months ending with `month`, oldest first (first days)."""
    out = [month.replace(day=1)]
    while len(out) < n:
        out.append((out[-1] - dt.timedelta(days=1)).replace(day=1))
    return out[::-1]


def as_tuple(c: PosyanduCounts) -> Counts:
    return tuple(getattr(c, f) for f in dq.COUNT_FIELDS)


async def month_table(repos: Repositories, posyandu_ids: Collection[int], months: Sequence[dt.date]
                      ) -> dict[dt.date, dict[int, Counts]]:
    """month -> posyandu -> counts for every posyandu and month asked (zeros where there is nothing)."""
    pids = sorted(set(posyandu_ids))
    wanted = [m.replace(day=1) for m in months]
    if not pids or not wanted:
        return {m: {} for m in wanted}
    await _decide_dirty(repos, pids)
    key = (tuple(pids), tuple(wanted))
    state = await dq.posyandu_state(repos.db, pids)
    tables = _TABLES.setdefault(repos.db, OrderedDict())
    hit = tables.get(key)
    if hit is not None and hit[0] == state:  # nothing changed since: the table read last time still holds
        tables.move_to_end(key)
        return {m: dict(rows) for m, rows in hit[1].items()}
    kept = await dq.kept_counts(repos.db, pids, wanted)
    table = {m: dict(kept.current.get(m, {})) for m in wanted}
    if all(len(table[m]) == len(pids) for m in wanted):
        _remember(tables, key, state, table)
        return table
    async with _LOCK:
        kept = await dq.kept_counts(repos.db, pids, wanted)  # another request may have counted them meanwhile
        table = {m: dict(kept.current.get(m, {})) for m in wanted}
        stale = 0
        for m in wanted:
            missing = [p for p in pids if p not in table[m]]
            if not missing:
                continue
            stale += len(missing)
            counted = await status_svc.month_counts(repos, missing, m)
            await dq.keep_counts(repos.db, m, counted.values(), versions=kept.versions,
                                 fingerprints=kept.fingerprints)
            for pid, c in counted.items():
                table[m][pid] = as_tuple(c)
        log.info("dashboard: counted %s posyandu-months again", stale)
    return table


def _remember(tables: _Tables, key: tuple[object, ...], state: dq.PosyanduState,
              table: dict[dt.date, dict[int, Counts]]) -> None:
    tables[key] = (state, {m: dict(rows) for m, rows in table.items()})
    tables.move_to_end(key)
    while len(tables) > _MAX_TABLES:
        tables.popitem(last=False)


async def _decide_dirty(repos: Repositories, pids: list[int]) -> None:
    """Children still on the status dirty list are decided first (that raises their posyandu's version); the
    flush's own query joins every child of the posyandu, so an empty list is checked first."""
    if await dq.any_dirty(repos.db):
        await status_svc.flush(repos, posyandu_ids=pids)


async def year_table(repos: Repositories, posyandu_ids: Collection[int], year: int, until: dt.date
                     ) -> dict[int, dq.YearStunting]:
    """posyandu -> the year's stunting counts (storage.dashboard_queries.year_stunting), kept like the months."""
    pids = sorted(set(posyandu_ids))
    if not pids:
        return {}
    await _decide_dirty(repos, pids)
    kept = await dq.kept_years(repos.db, pids, year, until)
    if len(kept.current) == len(pids):
        return kept.current
    async with _LOCK:
        kept = await dq.kept_years(repos.db, pids, year, until)
        table = dict(kept.current)
        missing = [p for p in pids if p not in table]
        if missing:
            counted = await dq.year_stunting(repos.db, missing, year, until=until)
            await dq.keep_years(repos.db, year, until, counted.values(), versions=kept.versions,
                                fingerprints=kept.fingerprints)
            table.update(counted)
    return table


async def fill(repos: Repositories, posyandu_ids: Collection[int], month: dt.date, *, months: int = 13) -> None:
    """Count ahead what the overview will ask for (at start-up, in the background)."""
    for m in months_back(month, months):
        await month_table(repos, posyandu_ids, [m])
        await asyncio.sleep(0)


__all__ = ["Counts", "as_tuple", "fill", "month_table", "months_back", "year_table"]
