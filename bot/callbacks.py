"""The callback data of every inline button, read in one place against a schema.

A button's `callback_data` comes back from the user's client, and a modified client can send anything (an
attack run sent 20-digit ids, missing and non-numeric parts). So no handler splits callback data itself:
each `CallbackQueryHandler` is registered with `pattern=SCHEMA.matches` and its callback reads the values
with `SCHEMA.parse(data)`. A schema knows every part: fixed words, choices from a list, ids that fit
SQLite's 64-bit INTEGER, real dates and times. Data that fits no schema reaches no journey handler; the
catch-all (handlers/common.stale_button) answers it politely.

The formats themselves are unchanged (buttons already on people's screens keep working); the handlers
still build the strings. `ALL` lists every schema, so a test can check that every button the bot sends
parses here.

Template syntax: literal text, `{name:kind}` fields and one optional tail in square brackets, e.g.
`ukur:{kind:chart|pchart}:{child:id}[:{indicator:wfa|lhfa|wflh}]`. Kinds: `id` (a database id), `n` (a page
or offset, 0-999999), `node` (an id or nothing), `date` (YYYY-MM-DD), `month` (YYYY-MM), `hhmm` (a time as
0800), `key` (a short word of letters, digits, `_` and `-`), or `a|b|c` (one of these words).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# A positive id inside SQLite's signed 64-bit INTEGER (18 digits always fit; 20 digits overflowed before).
_ID = r"[1-9][0-9]{0,17}"
_KINDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "id": (_ID, int),
    "n": (r"0|[1-9][0-9]{0,5}", int),
    "node": (f"(?:{_ID})?", lambda s: int(s) if s else None),
    "date": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", dt.date.fromisoformat),
    "month": (r"[0-9]{4}-[0-9]{2}", lambda s: dt.date(int(s[:4]), int(s[5:7]), 1)),
    "hhmm": (r"[0-9]{4}", lambda s: dt.time(int(s[:2]), int(s[2:]))),
    "key": (r"[A-Za-z0-9_-]{1,40}", str),
}
MAX_BYTES = 64  # Telegram's limit for callback_data


class InvalidCallback(ValueError):
    """Callback data that fits no schema (forged, or from a format this version no longer knows)."""


@dataclass(frozen=True)
class CallbackValues:
    """The parts of one callback datum, typed by its schema."""

    values: Mapping[str, object]

    def id(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int), f"{name} is not an id"
        return value

    def number(self, name: str) -> int:
        """A page, an offset or a digit choice ("0|1") as an int."""
        value = self.values[name]
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        assert isinstance(value, int), f"{name} is not a number"
        return value

    def optional_id(self, name: str) -> int | None:
        value = self.values.get(name)
        assert value is None or isinstance(value, int), f"{name} is not an id"
        return value

    def text(self, name: str) -> str:
        value = self.values[name]
        assert isinstance(value, str), f"{name} is not text"
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.values.get(name)
        assert value is None or isinstance(value, str), f"{name} is not text"
        return value

    def date(self, name: str) -> dt.date:
        value = self.values[name]
        assert isinstance(value, dt.date), f"{name} is not a date"
        return value

    def time(self, name: str) -> dt.time:
        value = self.values[name]
        assert isinstance(value, dt.time), f"{name} is not a time"
        return value


class Callback:
    """One callback data format: `matches` for PTB's `pattern=`, `parse` for the handler."""

    def __init__(self, template: str) -> None:
        self.template = template
        self._converters: dict[str, Callable[[str], object]] = {}
        self.regex = re.compile(self._compile(template))  # used with fullmatch ("$" would allow a final "\n")

    def _compile(self, template: str) -> str:
        out: list[str] = []
        pos = 0
        for m in re.finditer(r"\{(\w+):([^{}]+)\}|\[|\]", template):
            out.append(re.escape(template[pos:m.start()]))
            pos = m.end()
            if m.group(0) == "[":
                out.append("(?:")
            elif m.group(0) == "]":
                out.append(")?")
            else:
                name, kind = m.group(1), m.group(2)
                if kind in _KINDS:
                    regex, convert = _KINDS[kind]
                else:  # a choice: a|b|c
                    regex, convert = "|".join(re.escape(c) for c in kind.split("|")), str
                self._converters[name] = convert
                out.append(f"(?P<{name}>{regex})")
        out.append(re.escape(template[pos:]))
        return "".join(out)

    def parse(self, data: str | None) -> CallbackValues:
        """The typed values; InvalidCallback when `data` does not fit (wrong shape, impossible date, ...)."""
        if data is None or len(data.encode()) > MAX_BYTES:
            raise InvalidCallback(self.template)
        m = self.regex.fullmatch(data)
        if m is None:
            raise InvalidCallback(self.template)
        values: dict[str, object] = {}
        for name, raw in m.groupdict().items():
            if raw is None:
                values[name] = None
                continue
            try:
                values[name] = self._converters[name](raw)
            except ValueError as exc:  # 2024-02-31, 2599 o'clock: the right shape, not a real value
                raise InvalidCallback(self.template) from exc
        return CallbackValues(values)

    def matches(self, data: object) -> bool:
        """For `CallbackQueryHandler(pattern=...)`: True only for data `parse` accepts."""
        if not isinstance(data, str):
            return False
        try:
            self.parse(data)
        except InvalidCallback:
            return False
        return True

    def __repr__(self) -> str:
        return f"Callback({self.template!r})"


# ------------------------------------------------------------------ every format the bot sends

# handlers/common.py
LANG = Callback("lang:{lang:id|en}")

# handlers/cadre_measure.py, cadre_shared.py, cadre_records.py, cadre_enrol.py (buttons into /ukur)
UKUR_NEXT = Callback("ukur:next")
UKUR_START = Callback("ukur:start:{child:id}")
UKUR_FIX = Callback("ukur:fix:{measurement:id}")
UKUR_CHILD = Callback("ukur:child:{child:id}")
UKUR_PAGE = Callback("ukur:page:{offset:n}")
UKUR_DATE = Callback("ukur:date:{days_back:0|1}")
UKUR_ROLLED_DATE = Callback("ukur:date:{answer:yes|retype}")
UKUR_USE = Callback("ukur:use:{choice:suggestion|asis}")
UKUR_KEEP = Callback("ukur:keep")
UKUR_POSITION = Callback("ukur:pos:{position:lying|standing}")
UKUR_SKIP = Callback("ukur:skip")
UKUR_SKIP_ANY = Callback("ukur:{kind:skip|skipall}")
UKUR_OEDEMA = Callback("ukur:oedema:{present:0|1}")
UKUR_SAVE = Callback("ukur:save[:{answer:replace|keep}]")  # the answer to "already measured this month"
UKUR_EDIT = Callback("ukur:edit:{step:0|1|2|3|4|5|6|7}")  # a step of handlers/cadre_measure.py
UKUR_BACK = Callback("ukur:back")
UKUR_CANCEL = Callback("ukur:cancel")
UKUR_CHART = Callback("ukur:{kind:chart|pchart}:{child:id}[:{indicator:wfa|lhfa|wflh}]")

# handlers/cadre_enrol.py
ANAK_NEW = Callback("anak:new")
ANAK_POSYANDU = Callback("anak:pos:{posyandu:id}")
ANAK_SEX = Callback("anak:sex:{sex:M|F}")
ANAK_SKIP = Callback("anak:skip")
ANAK_SAVE = Callback("anak:save")
ANAK_FORCE = Callback("anak:force")
ANAK_SAME = Callback("anak:same")
ANAK_BACK = Callback("anak:back")
ANAK_CANCEL = Callback("anak:cancel")

# handlers/cadre_quick.py
CATAT_PENDING = Callback("catat:{action:use|asis|cancel|replace|keep}")
CATAT_DATE = Callback("catat:date:{answer:yes|retype}")

# handlers/cadre_records.py
RIWAYAT = Callback("riwayat:{child:id}")
DAFTAR_PAGE = Callback("daftar:p:{page:n}")

# handlers/schedule.py (steps in schedule_rule.py, schedule_dates.py, schedule_parent.py)
JADWAL_POSYANDU = Callback("jadwal:p:{posyandu:id}")
JADWAL_CARD = Callback("jadwal:{action:edit|change|add|done}")
JADWAL_WEEKDAY = Callback("jadwal:wd:{weekday:0|1|2|3|4|5|6}")
JADWAL_WEEK = Callback("jadwal:wk:{week:1|2|3|4|-1}")
JADWAL_START = Callback("jadwal:st:{time:hhmm}")
JADWAL_END = Callback("jadwal:en:{time:hhmm}")
JADWAL_NO_END = Callback("jadwal:en:-")
JADWAL_SAVE = Callback("jadwal:save")
JADWAL_BACK = Callback("jadwal:back")
JADWAL_DAY = Callback("jadwal:d:{day:date}")
JADWAL_MOVE = Callback("jadwal:mv")
JADWAL_CANCEL_DAY = Callback("jadwal:cx")
JADWAL_OPT = Callback("jadwal:opt:{turn:on|off}")

# handlers/team_invite.py (the picker, handlers/area_picker.py, is shared with handlers/broadcast.py)
UNDANG_ROLE = Callback("undang:r:{role:cadre|coordinator}")
UNDANG_OPEN = Callback("undang:{role:k|c}:d:{node:node}:{offset:n}")
UNDANG_PICK = Callback("undang:{role:k|c}:{kind:a|p}:{target:id}")

# handlers/broadcast.py
SIARAN_CANCEL = Callback("siaran:no")
SIARAN_AUDIENCE = Callback("siaran:aud:{audience:cadres|parents|all}")
SIARAN_OPEN = Callback("siaran:s:d:{node:node}:{offset:n}")
SIARAN_PICK = Callback("siaran:s:{kind:a|p}:{target:id}")
SIARAN_EVERYONE = Callback("siaran:s:all")
SIARAN_BACK = Callback("siaran:back:{step:write|aud|scope}")
SIARAN_OK = Callback("siaran:ok")

# handlers/recap.py
REKAP_MONTH = Callback("rekap:{action:chart|xlsx}:{month:month}")
REKAP_FOLLOW_UP = Callback("rekap:tl:{page:n}")
TL_PAGE = Callback("tl:page:{page:n}")

# handlers/parent.py (callbacks in parent_report.py, parent_tips.py, parent_account.py)
ORTU_ANAKKU = Callback("ortu:anakku")
ORTU_TIP = Callback("ortu:{kind:tips|tip}[:{child:id}]")
ORTU_CHART = Callback("ortu:grafik:{child:id}:{indicator:wfa|lhfa|wflh}")
ORTU_DELETE = Callback("ortu:hapus:{answer:ya|tidak}")

# handlers/parent_questions.py
TANYA_MENU = Callback("tanya:menu")
TANYA_NONE = Callback("tanya:none")
TANYA_TOPIC = Callback("tanya:t:{topic:key}")
TANYA_QUESTION = Callback("tanya:q:{entry:key}[:{lang:id|en}]")

# Unfinished work in a conversation (handlers/cadre_shared.guard_unfinished): continue it or discard it.
WORK = Callback("work:{action:go|drop}:{conversation:key}")

# Issue 14, services at the posyandu: buttons under the result card and in /catat answers
# (handlers/services_record.py), /layanan (handlers/services_list.py), the parent's Buku KIA picture
# (handlers/services_parent.py); intervention programs (handlers/programs.py, programs_new.py) and sponsors
# (handlers/sponsor.py). The place picker of /program_baru is handlers/area_picker.picker_keyboard with prefix "prog".
LAYANAN_GIVE = Callback("lay:g:{child:id}:{item:key}:{day:date}")
LAYANAN_UNDO = Callback("lay:x:{record:id}")
LAYANAN_OVERRIDE = Callback("lay:o:{child:id}:{item:key}:{day:date}:{reason:grace|klb|bencana}")
LAYANAN_REDATE = Callback("lay:c:{record:id}:{day:date}")
LAYANAN_REMOVE = Callback("lay:r:{record:id}")
LAYANAN_LIST = Callback("lay:l:{child:id}")
LAYANAN_KIA = Callback("lay:kia:{child:id}")
PROGRAM_OPEN_AREA = Callback("prog:d:{node:node}:{offset:n}")
PROGRAM_PLACE = Callback("prog:{kind:a|p}:{target:id}")
PROGRAM_KIND = Callback("prog:k:{kind:pmt_lokal|pmt_pabrikan|other}")
PROGRAM_PERIOD = Callback("prog:per:{months:3|6|12}")
PROGRAM_CRITERION = Callback("prog:c:{criterion:stunted|severely_stunted|wasted|underweight|t|2t|bgm|done}")
PROGRAM_SKIP = Callback("prog:skip")
PROGRAM_SAVE = Callback("prog:save")
PROGRAM_CANCEL = Callback("prog:cancel")
PROGRAM_CARD = Callback("prog:o:{program:id}")
PROGRAM_PROPOSALS = Callback("prog:u:{program:id}")
PROGRAM_ENROL = Callback("prog:e:{program:id}:{child:id}")
PROGRAM_ENROL_ALL = Callback("prog:ea:{program:id}")
PROGRAM_FOLLOWED = Callback("prog:f:{program:id}")
PROGRAM_REPORT = Callback("prog:r:{program:id}")
PROGRAM_XLSX = Callback("prog:x:{program:id}")
PROGRAM_INVITE = Callback("prog:i:{program:id}")
ASUH_PROGRAM = Callback("asuh:o:{program:id}")
ASUH_REPORT = Callback("asuh:r:{program:id}")
ASUH_XLSX = Callback("asuh:x:{program:id}")
ASUH_MESSAGE = Callback("asuh:m:{program:id}")

# Issue 16, follow-up cases and the families TPK accompany (handlers/case_list.py, case_forms.py, families.py,
# tpk_report.py; the invite roles in handlers/team_invite.py)
KASUS_CARD = Callback("kasus:c:{case:id}")
KF_START = Callback("kf:{form:visit|referral|outcome|note|close|check|anc|home|birth|postnatal|pregnancy}:{target:id}")
KF_NEW = Callback("kf:new")
KF_DAY = Callback("kf:day:{back:0|1}")
KF_CHOICE = Callback("kf:c:{value:key}")
KF_TOGGLE = Callback("kf:t:{item:n}")
KF_DONE = Callback("kf:done")
KF_SKIP = Callback("kf:skip")
KF_BACK = Callback("kf:back")
KF_SAVE = Callback("kf:save")
KF_CANCEL = Callback("kf:cancel")
IBU_CARD = Callback("ibu:w:{woman:id}")
IBU_PAGE = Callback("ibu:p:{page:n}")
TPK_XLSX = Callback("tpk:xlsx:{month:month}")
UNDANG_ROLE_FAMILY = Callback("undang:r:{role:tpk|health_worker}")
UNDANG_OPEN_FAMILY = Callback("undang:{role:t|h}:d:{node:node}:{offset:n}")
UNDANG_PICK_FAMILY = Callback("undang:{role:t|h}:a:{target:id}")

# Issue 15, parents: answers about one's own child (handlers/parent_personal.py), ask a cadre or midwife
# (handlers/parent_ask.py).
JAWAB_CHILD = Callback("jawab:c:{child:id}")  # which child the pending question is about
JAWAB_SEX = Callback("jawab:sex:{sex:M|F}:{days:n}:{grams:n}:{mm:n}")  # score typed numbers as a boy / a girl
KADER_ASK = Callback("kader:ask")  # "🙋 Tanya kader/bidan"
KADER_CHILD = Callback("kader:c:{child:id}")  # which child the question to a person is about
KADER_SEND = Callback("kader:{action:last|cancel}")  # send the question typed before / cancel

ALL: tuple[Callback, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Callback))


def any_of(*schemas: Callback) -> Callable[[object], bool]:
    """One `pattern=` for a handler that takes several formats (it then asks each schema which it got)."""
    return lambda data: any(schema.matches(data) for schema in schemas)


def known(data: str | None) -> bool:
    """Whether any schema accepts `data` (the catch-all uses it to tell stale buttons from forged ones)."""
    return any(schema.matches(data) for schema in ALL)


__all__ = ["ALL", "Callback", "CallbackValues", "InvalidCallback", "any_of", "known"]
