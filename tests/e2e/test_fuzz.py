"""Fuzzing the whole bot through the stand-in (issue 19): generated inputs in every conversation state.

Thirteen users (cadres, coordinators, admins, parents, strangers) act side by side, each one input at a time:
mostly what a person could do (press a button on screen, type what the open question asks, a command), mixed
with junk (random text and unicode, commands with junk arguments, stickers, photos, voice notes, files,
someone else's contact, forged and stale callback data). The walk reaches every state of every conversation.

Checked for every input: the bot replies (a message, or the button's answer), no traceback and no error in
the log, no request Telegram would refuse (the stand-in is strict: HTML, lengths, markup, a second answer to
a query, an edit that changes nothing ...), every callback query answered exactly once.

Seeded and small by default (CI). The full run:

    POSYANDU_FUZZ_INPUTS=10000 .venv/bin/python -m pytest -q -s tests/e2e/test_fuzz.py

POSYANDU_FUZZ_SEED picks another seed; with -s the run prints its figures (inputs, rate, state coverage).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import string
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.demo import CADRE_ID, COORDINATOR_ID, KIDS, PARENT_ID, SECOND_CADRE_ID, STRANGER_ID
from bot.services.schedule import parse_rule
from bot.sim.fake_api import FakeBotAPI, tiny_png
from storage.models import AreaLevel, ChildCreate, PosyanduCreate, Role, Sex
from tests.e2e.hardening_support import DB_ADMIN_ID, SETTINGS_ADMIN_ID, all_commands, seed_personas
from tests.e2e.harness import BotHarness

INPUTS = int(os.environ.get("POSYANDU_FUZZ_INPUTS", "2000"))
SEED = int(os.environ.get("POSYANDU_FUZZ_SEED", "19"))
REPLIES = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "editMessageText",
                     "editMessageCaption", "editMessageReplyMarkup"})
EXTRA_CADRES, EXTRA_COORDINATOR, EXTRA_PARENTS, EXTRA_STRANGER = (1101, 1102), 3101, (2101, 2102), 4101
DRILL_CADRE, DRILL_COORDINATOR, DRILL_PARENT = 1201, 3201, 2201
DRILL_TPK = 6201  # issue 16: the case and family forms
NAMES = [k.name for k in KIDS]
# What a person types at a step (the conversation's state decides which list is used, most of the time).
TYPED: dict[tuple[str, int], list[str]] = {
    ("cadre_measure", 0): ["Budi", "A1", "A3", "rina", "budy", "Putri Wulandari", "A99", "Zz"],
    ("cadre_measure", 1): ["hari ini", "kemarin", "3/12", "1 Januari 2020", "31/2", "besok"],
    ("cadre_measure", 2): ["10,5", "10.5", "105", "1,05", "0", "-3", "9 kg", "abc"],
    ("cadre_measure", 3): ["80", "82,5", "800", "8", "40"],
    ("cadre_measure", 4): ["14", "140", "lewati", "1"],
    ("cadre_measure", 5): ["46", "4,6", "460"],
    ("cadre_enrol", 1): ["Citra Kirana", "Budi Santoso", "x" * 90, "123", "Dewa"],
    ("cadre_enrol", 2): ["L", "P", "laki-laki", "perempuan", "x"],
    ("cadre_enrol", 3): ["15/3/2023", "1 Jan 2024", "15/3", "1/1/2015", "besok", "32/13/2020"],
    ("cadre_enrol", 4): ["Rahmawati", "Siti Aminah"],
    ("cadre_enrol", 5): ["0812 3456 7890", "+62 813 1111 2222", "12345", "lewati"],
    ("cadre_enrol", 6): ["3273014503250001", "3273", "lewati", "3273 0145 0325 0001"],
    ("cadre_enrol", 7): ["Jl. Melati 7 RT 3/RW 2", "lewati", "RT 1 RW 2"],
    ("jadwal", 0): ["Melati", "Mawar", "zzz"],
    ("jadwal", 2): ["Selasa minggu ke-2 08.00-11.00", "tanggal 15 08.00", "Jumat 08.00", "kamis terakhir jam 9"],
    ("jadwal", 4): ["08.30", "8", "25.00", "jam 7"],
    ("jadwal", 5): ["11.00", "07.00", "12", "x"],
    ("jadwal", 9): ["21/1", "1/1/2020", "besok", "x"],
    ("jadwal", 10): ["21/2", "kemarin", "15 Juni"],
    ("case_forms", 0): ["Siti Rahma", "25", "15/10/2024", "22", "10,5", "hari ini", "besok", "30", "0", "abc",
                        "x" * 90],
    ("coordinator_broadcast", 0): ["Besok ada vitamin A di posyandu.", "<b>Penting</b> & hadir ya", "x" * 4000],
}
ANYWHERE = ["halo", "terima kasih", "kapan mulai MPASI?", "anak saya susah makan", "batal", "❌ Batal", "ukur",
            "A2 10,5 80", "AB12CD34", "ABCDEFGH", "/start AB12CD34", "ya", "tidak", "Budi", "3273014503250001",
            "0812 3456 7890"]
JUNK_PIECES = ["<b>", "</i>", "<a href='x'>", "&amp;", "&#0;", "%s", "{name}", "{0}", "\\", "'; DROP TABLE users;--",
               "\u202e", "\u200b", "👨‍👩‍👧", "𝕏", "\x00", "\r\n", "٣", "０", "\u0301", "\ufeff", "-1", "1e309", "NaN",
               "9" * 25, " ", "\t", "ـــ", "/", "@posyandu_test_bot", "ukur:child:1"]
COMMAND_JUNK = ["", " ", " A1", " " + "9" * 20, " -1", " 2024-13", " <b>x</b>", " 🙂", " x" * 40, " @bot",
                " kader", " koordinator", " 11/2024", " nov", " ABCDEFGH"]


def _junk(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.3:
        return "".join(rng.choice(JUNK_PIECES) for _ in range(rng.randint(1, 6))).strip() or "?"
    if kind < 0.5:
        return "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 30))).strip() or "?"
    if kind < 0.6:
        return rng.choice(string.ascii_letters) * rng.randint(1001, 5000)  # a paste far too long
    return "".join(rng.choice(string.printable.strip()) for _ in range(rng.randint(1, 40)))


def _forged(rng: random.Random, seen: list[str]) -> str:
    if seen and rng.random() < 0.6:
        base = rng.choice(seen)
        parts = base.split(":")
        mutation = rng.randrange(5)
        if mutation == 0:
            parts[-1] = rng.choice(["9" * 20, "", "x", "-1", "0", "٣", "2024-02-31", "2599"])
        elif mutation == 1:
            parts = parts[:-1]
        elif mutation == 2:
            parts.append(rng.choice(["1", "x", ""]))
        elif mutation == 3:
            parts[0] = rng.choice(["ukur", "anak", "jadwal", "ortu", "undang", "siaran", "rekap", "tanya", "x"])
        else:
            return base  # a real button's data on another message: stale
        data = ":".join(parts)
    else:
        data = "".join(rng.choice(string.printable.strip()) for _ in range(rng.randint(1, 64)))
    encoded = data.encode()[:64].decode(errors="ignore")
    return encoded or "x"


@dataclass
class Report:
    inputs: Counter[str] = field(default_factory=Counter)
    silent: list[tuple[int, str]] = field(default_factory=list)  # (user, what was sent, in which state)
    states: Counter[tuple[str, int]] = field(default_factory=Counter)  # inputs delivered in each state
    started: float = field(default_factory=time.monotonic)


class Fuzzer:
    def __init__(self, bot: BotHarness, api: FakeBotAPI, rng: random.Random) -> None:
        self.bot, self.api, self.rng = bot, api, rng
        assert bot.app is not None
        self.app = bot.app
        self.report = Report()
        self.commands = all_commands(bot)
        self.conversations = [h for h in self.app.handlers[0] if isinstance(h, ConversationHandler)]
        self.all_states = {(h.name or "?", s) for h in self.conversations for s in h.states}
        self.seen_data: list[str] = []
        self._done: dict[int, asyncio.Event] = {}
        original = self.app.process_update

        async def tracked(update: object) -> None:
            try:
                await original(update)
            finally:
                if isinstance(update, Update):
                    self._done.setdefault(update.update_id, asyncio.Event()).set()

        self.app.process_update = tracked  # type: ignore[method-assign]

    def state_of(self, uid: int) -> tuple[str, int] | None:
        for h in self.conversations:
            state = h._conversations.get((uid, uid))
            if isinstance(state, int):
                return h.name or "?", state
        return None

    def _buttons(self, uid: int, newest: int) -> list[tuple[int, str]]:
        found = []
        for message in self.api.messages(uid)[-newest:]:
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                found += [(message["message_id"], b["callback_data"]) for b in row if "callback_data" in b]
        return found

    def _text(self, uid: int) -> str:
        state = self.state_of(uid)
        choices = TYPED.get(state) if state else None
        if choices and self.rng.random() < 0.8:
            return self.rng.choice(choices)
        return self.rng.choice(ANYWHERE + NAMES)

    def _command(self) -> str:
        if self.rng.random() < 0.5:  # the plain commands that open a conversation: the way into every state
            return self.rng.choice(["/ukur", "/anak_baru", "/jadwal", "/siaran", "/koreksi", "/ukur Budi"])
        return "/" + self.rng.choice(self.commands) + self.rng.choice(COMMAND_JUNK)

    def pick(self, uid: int) -> tuple[str, Callable[[], int]]:
        """One input: (kind, a function that queues it and returns its update id).

        Inside a conversation the walk mostly answers the open question (so it goes deep); outside it mostly
        starts something; either way about a fifth of the inputs are junk of some kind.
        """
        rng, api = self.rng, self.api
        inside = self.state_of(uid) is not None
        roll = rng.random()
        button_share, text_share, command_share = (0.5, 0.78, 0.8) if inside else (0.25, 0.4, 0.78)
        buttons = self._buttons(uid, 1 if inside else 2)
        if roll < button_share and buttons:
            message_id, data = rng.choice(buttons)
            return "button", lambda: api.press_button(uid, message_id, data)
        keyboard = api.reply_keyboard(uid)
        if roll < button_share and keyboard is not None:
            key = rng.choice([b if isinstance(b, dict) else {"text": b} for row in keyboard["keyboard"] for b in row])
            if key.get("request_contact"):
                return "reply key (own phone)", lambda: api.send_contact(uid, "+6281234567801")
            return f"reply key {key['text']!r}", lambda: api.send_message(uid, str(key["text"]))
        if roll < text_share:
            text = self._text(uid)
            return f"text {text[:40]!r}", lambda: api.send_message(uid, text)
        if roll < command_share:
            command = self._command()
            return f"command {command[:40]!r}", lambda: api.send_message(uid, command)
        roll = rng.random()
        if roll < 0.3:
            junk = _junk(rng)
            return f"junk text {junk[:40]!r}", lambda: api.send_message(uid, junk)
        messages = api.messages(uid)
        if roll < 0.65 and messages:
            old = self._buttons(uid, 30)
            target = rng.choice(messages[-5:])["message_id"]
            if old and rng.random() < 0.3:
                message_id, data = rng.choice(old)  # an old button, pressed again (stale or double tap)
                return "old button", lambda: api.press_button(uid, message_id, data)
            data = _forged(rng, self.seen_data)
            return "forged callback", lambda: api.forge_callback(uid, target, data)
        media: list[tuple[str, Callable[[], int]]] = [
            ("sticker", lambda: api.send_sticker(uid)),
            ("photo", lambda: api.send_photo(uid, tiny_png(8, 8), caption=rng.choice([None, "foto", "<b>x"]))),
            ("voice", lambda: api.send_voice(uid)),
            ("document", lambda: api.send_document(uid, rng.choice(["a.xlsx", "b.pdf", "c"]), b"PK\x03\x04x")),
            ("own contact", lambda: api.send_contact(uid, rng.choice(["+6281234567801", "+6281299999999",
                                                                      "+15551234567", "12"]))),
            ("other's contact", lambda: api.send_contact(uid, "+6281234567802", contact_user_id=0)),
        ]
        return rng.choice(media)

    async def deliver(self, uid: int, detail: str, queue: Callable[[], int], *, count: bool = True) -> None:
        """Queue one input, wait until the bot has handled it, check that it answered."""
        kind = detail.split(" ")[0] if detail.split(" ")[0] in ("text", "command", "junk") else detail
        kind = "junk text" if kind == "junk" else "reply key" if detail.startswith("reply key") else kind
        before = self.state_of(uid)
        mark = len(self.api.calls)
        update_id = queue()
        done = self._done.setdefault(update_id, asyncio.Event())
        await asyncio.wait_for(done.wait(), timeout=60)
        del self._done[update_id]
        if not count:
            return
        self.report.inputs[kind] += 1
        if before is not None:
            self.report.states[before] += 1
        self.seen_data += [d for _, d in self._buttons(uid, 1) if d not in self.seen_data][:3]
        if kind in ("button", "old button", "forged callback"):
            return  # its answer is checked at the end (a background answer may come a moment later)
        if not any(c.method in REPLIES and c.params.get("chat_id") == uid for c in self.api.calls[mark:]):
            self.report.silent.append((uid, f"{detail} in {before}"))

    async def user(self, uid: int, count: int) -> None:
        """A random walk of `count` inputs."""
        for _ in range(count):
            await self.deliver(uid, *self.pick(uid))

    async def step(self, uid: int, step: str) -> None:
        """One scripted step of a drill: text to type, or `data:<prefix>` to press the newest such button."""
        if not step.startswith("data:"):
            await self.deliver(uid, step, lambda: self.api.send_message(uid, step), count=False)
            return
        buttons = list(reversed(self._buttons(uid, 3)))
        found = [(m, d) for m, d in buttons if d == step[5:]] or [(m, d) for m, d in buttons
                                                                  if d.startswith(step[5:])]
        if not found:
            raise AssertionError(f"drill of user {uid}: no button {step[5:]!r} (state {self.state_of(uid)}); "
                                 f"the flow changed? buttons: {self._buttons(uid, 3)}")
        message_id, data = found[0]
        await self.deliver(uid, step, lambda: self.api.press_button(uid, message_id, data), count=False)

    async def drill(self, uid: int, conversation: str, path: list[tuple[str, int]], rounds: int) -> None:
        """Walk the scripted path into each state of a conversation in turn and give it one fuzzed input
        there, `rounds` times: the random walk alone seldom reaches the end of a long conversation."""
        for _ in range(rounds):
            for depth in range(len(path)):
                await self.step(uid, "/batal")
                for step, _ in path[: depth + 1]:
                    await self.step(uid, step)
                want = (conversation, path[depth][1])
                assert self.state_of(uid) == want, f"drill of user {uid} reached {self.state_of(uid)}, not {want}"
                await self.deliver(uid, *self.pick(uid))


@pytest.fixture
async def fuzz_bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotHarness]:
    # The send budget is not under test here (test_send_budget_flood.py): let the inputs through at full speed.
    harness = BotHarness(api, tmp_path / "fuzz.db", admin_ids=[SETTINGS_ADMIN_ID], telegram_sends_per_second=1000)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _more_people(bot: BotHarness, api: FakeBotAPI, posyandu_ids: tuple[int, ...], area_id: int) -> None:
    repos = bot.runtime.repos
    for uid in EXTRA_CADRES:
        await repos.users.upsert(uid, f"Kader {uid}", "id")
        await repos.users.set_role(uid, Role.CADRE, posyandu_id=posyandu_ids[0])
    await repos.users.upsert(EXTRA_COORDINATOR, "Koordinator", "en")
    await repos.users.set_role(EXTRA_COORDINATOR, Role.COORDINATOR, area_id=area_id)
    for i, uid in enumerate(EXTRA_PARENTS):
        await repos.users.upsert(uid, f"Ortu {uid}", "id")
        await repos.users.set_role(uid, Role.PARENT, posyandu_id=posyandu_ids[i % 2])
        child = (await repos.children.list_by_posyandu(posyandu_ids[i % 2]))[i + 1]
        await repos.guardians.link(child.id, uid)
    for uid in (*EXTRA_CADRES, EXTRA_COORDINATOR, *EXTRA_PARENTS, EXTRA_STRANGER):
        api.user(uid, f"User{uid}", language_code="en" if uid == EXTRA_COORDINATOR else "id")


async def _drill_world(bot: BotHarness, api: FakeBotAPI) -> dict[str, Any]:
    """A posyandu pair of their own for the drills, so the random walk cannot spoil a drill's next step
    (e.g. save a weight that makes the drill's typed one implausible)."""
    repos = bot.runtime.repos
    city, _ = await repos.areas.get_or_create(AreaLevel.CITY, "Kota Latihan")
    kec, _ = await repos.areas.get_or_create(AreaLevel.KECAMATAN, "Kec Latihan", city.id)
    kel, _ = await repos.areas.get_or_create(AreaLevel.KELURAHAN, "Kel Latihan", kec.id)
    first, _ = await repos.posyandu.get_or_create(PosyanduCreate(name="Posyandu Latihan 1", area_id=kel.id))
    await repos.posyandu.get_or_create(PosyanduCreate(name="Posyandu Latihan 2", area_id=kel.id))
    await repos.posyandu.set_schedule_rule(first.id, parse_rule("Selasa minggu ke-2 08.00-11.00").to_json())
    birth = bot.runtime.today() - dt.timedelta(days=610)
    child = await repos.children.create(ChildCreate(name="Anak Latihan", sex=Sex.MALE, birth_date=birth,
                                                    posyandu_id=first.id, guardian_name="Ibu Latihan"))
    await repos.users.upsert(DRILL_CADRE, "Kader Latihan", "id")
    await repos.users.set_role(DRILL_CADRE, Role.CADRE, posyandu_id=first.id)
    await repos.users.upsert(DRILL_COORDINATOR, "Koordinator Latihan", "id")
    await repos.users.set_role(DRILL_COORDINATOR, Role.COORDINATOR, area_id=kel.id)
    await repos.users.upsert(DRILL_PARENT, "Ortu Latihan", "id")
    await repos.users.set_role(DRILL_PARENT, Role.PARENT, posyandu_id=first.id)
    await repos.guardians.link(child.id, DRILL_PARENT)
    await repos.users.upsert(DRILL_TPK, "TPK Latihan", "id")
    await repos.users.set_role(DRILL_TPK, Role.TPK, area_id=kel.id)
    for uid in (DRILL_CADRE, DRILL_COORDINATOR, DRILL_PARENT, DRILL_TPK):
        api.user(uid, f"User{uid}")
    return {"posyandu": first.id, "code": child.code, "birth": f"{birth.day}/{birth.month}/{birth.year}"}


def drill_paths(world: dict[str, Any]) -> list[tuple[int, str, list[tuple[str, int]]]]:
    """(user, conversation, steps with the state each one leads to): a way into every state."""
    pid = world["posyandu"]
    return [
        (DRILL_CADRE, "cadre_measure", [
            ("/ukur", 0), (world["code"], 1), ("data:ukur:date:0", 2), ("10,9", 3), ("81", 4),
            ("data:ukur:skip", 5), ("data:ukur:skip", 6), ("data:ukur:oedema:0", 7)]),
        (DRILL_COORDINATOR, "cadre_enrol", [
            ("/anak_baru", 0), (f"data:anak:pos:{pid}", 1), ("Anak Latihan", 2), ("data:anak:sex:M", 3),
            (world["birth"], 4), ("Ibu Latihan", 5), ("0812 3456 7890", 6), ("data:anak:skip", 7),
            ("data:anak:skip", 8), ("data:anak:save", 9)]),
        (DRILL_COORDINATOR, "jadwal", [
            ("/jadwal", 0), (f"data:jadwal:p:{pid}", 1), ("data:jadwal:edit", 2), ("data:jadwal:wd:2", 3),
            ("data:jadwal:wk:3", 4), ("data:jadwal:st:0830", 5), ("data:jadwal:en:1100", 6)]),
        (DRILL_COORDINATOR, "jadwal", [
            ("/jadwal", 0), (f"data:jadwal:p:{pid}", 1), ("data:jadwal:change", 7), ("data:jadwal:d:", 8),
            ("data:jadwal:mv", 9)]),
        (DRILL_COORDINATOR, "jadwal", [("/jadwal", 0), (f"data:jadwal:p:{pid}", 1), ("data:jadwal:add", 10)]),
        (DRILL_COORDINATOR, "coordinator_broadcast", [
            ("/siaran", 0), ("Pengumuman latihan", 1), ("data:siaran:aud:parents", 2), ("data:siaran:s:a:", 3)]),
        (DRILL_COORDINATOR, "programs_new", [  # issue 14: /program_baru
            ("/program_baru", 0), ("Program Latihan", 1), ("data:prog:skip", 2), (f"data:prog:p:{pid}", 3),
            ("data:prog:k:pmt_lokal", 4), ("data:prog:per:3", 5), ("data:prog:c:stunted", 5),
            ("data:prog:c:done", 6)]),
        (DRILL_TPK, "case_forms", [
            ("/ibu_baru", 0), ("Ibu Latihan", 0), ("25", 0), (f"data:kf:c:{pid}", 0), ("data:kf:c:catin", 1)]),
    ]


async def test_fuzzed_inputs_in_every_state_always_get_a_clean_answer(
        fuzz_bot: BotHarness, api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    people = await seed_personas(fuzz_bot, api)
    await _more_people(fuzz_bot, api, people.demo.posyandu_ids, people.demo.kelurahan_id)
    drills = drill_paths(await _drill_world(fuzz_bot, api))
    users = [CADRE_ID, SECOND_CADRE_ID, *EXTRA_CADRES, COORDINATOR_ID, EXTRA_COORDINATOR, DB_ADMIN_ID,
             SETTINGS_ADMIN_ID, PARENT_ID, *EXTRA_PARENTS, STRANGER_ID, EXTRA_STRANGER, DRILL_PARENT]
    fuzzer = Fuzzer(fuzz_bot, api, random.Random(SEED))
    rounds = max(1, INPUTS // 1000)  # each round gives every state of every conversation one fuzzed input
    drilled = sum(len(path) for _, _, path in drills) * rounds
    walk = max(INPUTS - drilled, len(users))
    per_user = walk // len(users)

    async def drill_user(uid: int) -> None:
        for who, conversation, path in drills:
            if who == uid:
                await fuzzer.drill(uid, conversation, path, rounds)

    runs: list[Awaitable[None]] = [fuzzer.user(uid, per_user + (1 if i < walk % len(users) else 0))
                                   for i, uid in enumerate(users)]
    await asyncio.gather(*runs, drill_user(DRILL_CADRE), drill_user(DRILL_COORDINATOR), drill_user(DRILL_TPK))
    await fuzz_bot._settle(60)
    elapsed = time.monotonic() - fuzzer.report.started

    report = fuzzer.report
    total = sum(report.inputs.values())
    reached = {s for s in report.states if s in fuzzer.all_states}
    print(f"\nfuzz: seed {SEED}, {total} generated inputs ({drilled} of them in drills) in {elapsed:.1f} s "
          f"({total / elapsed:.0f}/s), {len(api.calls)} Bot API calls; {dict(report.inputs)}; inputs per state: "
          f"{dict(sorted(report.states.items()))}; states reached {len(reached)}/{len(fuzzer.all_states)}")
    assert total >= INPUTS
    assert [(c.method, c.error) for c in api.calls if c.error] == []
    assert api.unanswered_callback_queries() == []
    answers = Counter(c.params.get("callback_query_id") for c in api.calls if c.method == "answerCallbackQuery")
    assert [q for q, n in answers.items() if n != 1] == []
    assert report.silent == []
    problems = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()]
    assert problems == []
    assert sorted(fuzzer.all_states - reached) == []  # every state of every conversation got fuzzed inputs


def test_the_fuzzer_forges_only_what_telegram_carries() -> None:
    rng = random.Random(1)
    seen = ["ukur:child:1", "jadwal:d:2025-01-14"]
    for _ in range(500):
        data = _forged(rng, seen)
        assert 1 <= len(data.encode()) <= 64
    assert not callbacks.known("ukur:child:" + "9" * 20)


__all__: list[Any] = []
