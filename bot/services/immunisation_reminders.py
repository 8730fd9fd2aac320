"""Immunisation, vitamin A and deworming reminders from the child's records (issue 14), for bot.services.reminders.

A parent is reminded of what is due or overdue for this child, not of a generic schedule; a dose recorded stops
its reminders. The windows (when a reminder may go out) come from the schedule; what it says, and whether it goes
out at all, is decided when it is claimed, from the records (bot.growth.child_services):
- at each schedule age (key `immunisation:<parent>:<child>:<months>`, as before): the doses of that age not yet
  recorded, and the doses overdue that may still be caught up (within each vaccine's limit);
- once, a month after an age's doses fell due when they are still not recorded and no other age's reminder is
  near (key `immunisation_overdue:<parent>:<child>:<months>`): the catch-up list;
- 30 days before a catch-up window closes (key `immunisation_deadline:<parent>:<child>:<last day>`, as before):
  the doses of that window not yet recorded;
- vitamin A (key `vitamin_a:<parent>:<posyandu>:<month>`, as before) for children without a capsule this round,
  with the deworming tablet when the month is a deworming month; in a deworming month that is not a vitamin A
  month, a deworming reminder of its own (`deworming:<parent>:<posyandu>:<month>`).
"Overdue" is said only where the child's immunisation record is kept at the posyandu (at least one dose
recorded): a child never recorded may have had every dose at the puskesmas, and its reminders keep to the doses
due at its age, asking the parent to show the Buku KIA so the doses get recorded.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.growth import immunisation
from bot.growth.child_services import Given, ServiceKind, check_deworming, check_vitamin_a, deworming_dose
from bot.growth.immunisation import OVERDUE_AFTER_DAYS, Dose, DoseState, add_months, dose_states
from bot.i18n import Translator, fmt_date, fmt_month, get_translator
from bot.services import reminders as r
from bot.services.child_services import given_of
from bot.services.schedule import PosyanduInfo, Session
from bot.services.services_due import Rounds
from storage import services_queries as sq
from storage.reminders_queries import ParentChild

IMMUNISATION_OVERDUE = "immunisation_overdue"
DEWORMING = "deworming"


async def _given(repos: Any, child_id: int) -> list[Given]:
    return given_of((await sq.current_for(repos.db, [child_id]))[child_id])


def _not_given(doses: Sequence[Dose], given: Sequence[Given]) -> list[Dose]:
    done = {g.code for g in given if g.kind is ServiceKind.IMMUNISATION}
    return [d for d in doses if d.code not in done]


def overdue_doses(birth: dt.date, today: dt.date, given: Sequence[Given], *, exclude: Sequence[Dose] = ()
                  ) -> list[Dose]:
    """Doses late but still allowed (catch-up), where the child's record is kept here (else none)."""
    if not any(g.kind is ServiceKind.IMMUNISATION for g in given):
        return []
    codes = {g.code for g in given if g.kind is ServiceKind.IMMUNISATION}
    skip = {d.code for d in exclude}
    return [s.dose for s in dose_states(birth, today, codes)
            if s.state is DoseState.OVERDUE and not s.dose.at_facility and s.dose.code not in skip]


def _labels(tr: Translator, doses: Sequence[Dose]) -> str:
    return ", ".join(tr.gettext(d.label) for d in doses)


def _closing(tr: Translator, known: bool) -> str:
    return (tr.gettext("Given elsewhere? Show the Buku KIA to the cadre so it is recorded; then this reminder stops.")
            if known else tr.gettext("Already done? Then you can ignore this message."))


def render_due(child: ParentChild, months: int, doses: Sequence[Dose], catch_up: Sequence[Dose], known: bool,
               nxt: Session | None, tr: Translator) -> str:
    name = f"<b>{html.escape(child.child_name)}</b>"
    age = tr.ngettext("{n} month", "{n} months", months).format(n=months)
    if doses:
        lines = [tr.gettext("💉 {child} is now {age} old: time for immunisation {vaccines}.").format(
            child=name, age=age, vaccines=_labels(tr, doses))]
        if catch_up:
            lines.append(tr.gettext("Not yet recorded either, and it can still be caught up: {vaccines}.").format(
                vaccines=_labels(tr, catch_up)))
    else:
        lines = [tr.gettext("💉 {child} still needs immunisation {vaccines} (catch-up: it can still be given).")
                 .format(child=name, vaccines=_labels(tr, catch_up))]
    if nxt is not None:
        lines.append(tr.gettext("Ask at the posyandu on {when} or at the puskesmas. Bring the Buku KIA.").format(
            when=nxt.when(tr)))
    else:
        lines.append(tr.gettext("Ask at the posyandu or the puskesmas. Bring the Buku KIA."))
    if not known:
        lines.append(tr.gettext("The posyandu has no immunisation record of {child} yet: show the Buku KIA to the "
                                "cadre so the doses given are recorded.").format(child=name))
    lines.append(_closing(tr, known))
    return "\n".join(lines)


def render_deadline(child: ParentChild, doses: Sequence[Dose], last: dt.date, known: bool, nxt: Session | None,
                    tr: Translator) -> str:
    lines = [tr.gettext("⏳ {vaccines} for {child} can only be given until {date}.").format(
        vaccines=_labels(tr, doses), child=f"<b>{html.escape(child.child_name)}</b>", date=fmt_date(last, tr.lang))]
    if known:
        lines.append(tr.gettext("The posyandu's record does not have it yet."))
    if nxt is not None and nxt.date <= last:
        lines.append(tr.gettext("If it has not been given yet, ask at the posyandu on {when} or at the puskesmas, "
                                "with the Buku KIA.").format(when=nxt.when(tr)))
    else:
        lines.append(tr.gettext("If it has not been given yet, go to the puskesmas before then, with the Buku KIA."))
    lines.append(_closing(tr, known))
    return "\n".join(lines)


def immunisation_candidates(repos: Any, info: PosyanduInfo, tz: ZoneInfo, today: dt.date, now: dt.datetime,
                            families: dict[int, list[ParentChild]], nxt: Session | None) -> list[r._Candidate]:
    """Reminders at each schedule age and a month after (catch-up), from the records."""
    out: list[r._Candidate] = []
    ages = immunisation.reminder_months()
    window = dt.timedelta(days=r.IMMUNISATION_WINDOW_DAYS)
    for uid, links in families.items():
        for child in links:
            reminder_days = {m: add_months(child.birth_date, m) for m in ages}
            for months, day in reminder_days.items():
                for kind, start in ((r.IMMUNISATION, day),
                                    (IMMUNISATION_OVERDUE, day + dt.timedelta(days=OVERDUE_AFTER_DAYS + 1))):
                    if not start <= today <= start + window:
                        continue
                    if kind == IMMUNISATION_OVERDUE and any(
                            abs((other - start).days) <= r.IMMUNISATION_WINDOW_DAYS
                            for m, other in reminder_days.items() if m != months):
                        continue  # the next age's reminder lists the catch-up doses too
                    due = r.local(start, r.IMMUNISATION_AT, tz)
                    expires = r.local(start + window, r.QUIET_FROM, tz)
                    if not r._window(due, expires, now):
                        continue

                    async def render(child: ParentChild = child, months: int = months, kind: str = kind
                                     ) -> tuple[str, dict[str, Any]] | None:
                        given = await _given(repos, child.child_id)
                        known = any(g.kind is ServiceKind.IMMUNISATION for g in given)
                        group = immunisation.doses_due_at(months)
                        doses = _not_given(group, given) if kind == r.IMMUNISATION else []
                        catch_up = overdue_doses(child.birth_date, today, given, exclude=doses)
                        if not doses and not catch_up:
                            return None
                        return render_due(child, months, doses, catch_up, known, nxt,
                                          get_translator(child.language)), {}
                    out.append(r._Candidate(r.key(kind, uid, child.child_id, months), uid, kind, info.timezone, due,
                                            expires, render))
    return out


def deadline_candidates(repos: Any, info: PosyanduInfo, tz: ZoneInfo, today: dt.date, now: dt.datetime,
                        families: dict[int, list[ParentChild]], nxt: Session | None) -> list[r._Candidate]:
    """A month before a catch-up window closes, for the doses of it not recorded."""
    out: list[r._Candidate] = []
    for uid, links in families.items():
        for child in links:
            by_last: dict[dt.date, list[Dose]] = defaultdict(list)
            for dose in immunisation.DEADLINE_DOSES:
                by_last[immunisation.last_date(dose, child.birth_date)].append(dose)
            for last, doses in by_last.items():
                day = last - dt.timedelta(days=immunisation.DEADLINE_NOTICE_DAYS)
                if not day <= today <= day + dt.timedelta(days=r.IMMUNISATION_WINDOW_DAYS):
                    continue
                due = r.local(day, r.IMMUNISATION_AT, tz)
                expires = r.local(day + dt.timedelta(days=r.IMMUNISATION_WINDOW_DAYS), r.QUIET_FROM, tz)
                if not r._window(due, expires, now):
                    continue

                async def render(child: ParentChild = child, doses: list[Dose] = doses,
                                 last: dt.date = last) -> tuple[str, dict[str, Any]] | None:
                    given = await _given(repos, child.child_id)
                    missing = _not_given(doses, given)
                    if not missing:
                        return None
                    known = any(g.kind is ServiceKind.IMMUNISATION for g in given)
                    return render_deadline(child, missing, last, known, nxt, get_translator(child.language)), {}
                out.append(r._Candidate(r.key(r.IMMUNISATION_DEADLINE, uid, child.child_id, last.isoformat()), uid,
                                        r.IMMUNISATION_DEADLINE, info.timezone, due, expires, render))
    return out


# ------------------------------------------------------------------ vitamin A and deworming rounds


def render_round(month: dt.date, capsules: Sequence[tuple[ParentChild, immunisation.Capsule]],
                 tablets: Sequence[tuple[ParentChild, str]], nxt: Session | None, tr: Translator) -> str:
    if capsules:
        lines = [tr.gettext("💊 {month} is vitamin A month.").format(month=fmt_month(month, tr.lang))]
    else:
        lines = [tr.gettext("🪱 {month} is deworming month.").format(month=fmt_month(month, tr.lang))]
    for child, capsule in capsules:
        text = (tr.gettext("blue capsule (100,000 IU)") if capsule is immunisation.Capsule.BLUE
                else tr.gettext("red capsule (200,000 IU)"))
        lines.append(f"• <b>{html.escape(child.child_name)}</b>: {text}")
    for child, tablet in tablets:
        text = (tr.gettext("½ tablet albendazole (200 mg)") if tablet == "half"
                else tr.gettext("1 tablet albendazole (400 mg)"))
        lines.append(f"• <b>{html.escape(child.child_name)}</b>: " + tr.gettext("deworming, {tablet}").format(
            tablet=text))
    if nxt is not None:
        lines.append(tr.gettext("Free at the posyandu on {when}.").format(when=nxt.when(tr)))
    else:
        lines.append(tr.gettext("Free at the posyandu or the puskesmas this month."))
    return "\n".join(lines)


def round_candidates(repos: Any, info: PosyanduInfo, tz: ZoneInfo, today: dt.date, now: dt.datetime,
                     families: dict[int, list[ParentChild]], in_month: Sequence[Session], rounds: Rounds
                     ) -> list[r._Candidate]:
    """Vitamin A (and deworming) before the month's first session, for children who have not had this round's
    capsule (tablet) yet; the capsule and the tablet by the child's age on the session day."""
    vitamin_a = rounds.vitamin_a_month(today)
    deworming = rounds.deworming_month(today, info.id)
    if not vitamin_a and not deworming:
        return []
    month_start = today.replace(day=1)
    first = in_month[0] if in_month else None
    day = max(first.date - dt.timedelta(days=r.VITAMIN_A_DAYS_BEFORE), month_start) if first else month_start
    due = r.local(day, r.VITAMIN_A_AT, tz)
    last_day = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    expires = r.local(last_day, r.QUIET_FROM, tz)
    if not r._window(due, expires, now):
        return []
    # The child's age on the session day decides (a baby who turns 6 months by then gets the blue capsule);
    # without a session this month, the last day of the month stands in.
    session_day = first.date if first else last_day
    kind = r.VITAMIN_A if vitamin_a else DEWORMING
    out: list[r._Candidate] = []
    for uid, family in families.items():
        # Children of the age for it on the session day (the records are read only when the reminder is claimed).
        links = [c for c in family
                 if (vitamin_a and immunisation.vitamin_a_capsule(c.birth_date, session_day) is not None)
                 or (deworming and deworming_dose(c.birth_date, session_day) is not None)]
        if not links:
            continue

        async def render(links: list[ParentChild] = links) -> tuple[str, dict[str, Any]] | None:
            records = await sq.current_for(repos.db, [c.child_id for c in links])
            capsules: list[tuple[ParentChild, immunisation.Capsule]] = []
            tablets: list[tuple[ParentChild, str]] = []
            for c in links:
                given = given_of(records.get(c.child_id, []))
                capsule = immunisation.vitamin_a_capsule(c.birth_date, session_day)
                if vitamin_a and capsule is not None and check_vitamin_a(c.birth_date, session_day, given) is None:
                    capsules.append((c, capsule))
                tablet = deworming_dose(c.birth_date, session_day)
                if deworming and tablet is not None and check_deworming(c.birth_date, session_day, given) is None:
                    tablets.append((c, tablet.value))
            if not capsules and not tablets:
                return None
            tr = get_translator(links[0].language)
            return render_round(month_start, capsules, tablets, first, tr), {}
        out.append(r._Candidate(r.key(kind, uid, info.id, month_start.strftime("%Y-%m")), uid, kind, info.timezone,
                                due, expires, render))
    return out


__all__ = ["DEWORMING", "IMMUNISATION_OVERDUE", "deadline_candidates", "immunisation_candidates",
           "overdue_doses", "render_deadline", "render_due", "render_round", "round_candidates"]
