"""Terminal simulator: chat with the real bot application through the local Bot API stand-in, no token needed.

Interactive: each line is sent as the current persona's message; ``/as <nama>`` (or ``:as``, ``@nama``)
switches persona, ``/users`` lists them, typing a button's label or number presses it, ``[Label]`` presses
the newest button containing that label, ``/photo``, ``/contact 0812...``, ``/stiker``, ``/suara``,
``/dokumen <path>`` send media, ``/balas [#12] teks`` replies (Telegram reply) to the newest parent's question
the persona got (or the newest message), ``/jam`` shows or moves the bot's clock (``/jam +1d``, ``+3h``,
``+30m``, ``/jam 2026-12-08 16:00``) and runs what became due (reminders, tips, escalations), ``/quit`` or
end of input stops.

Script: every non-empty line not starting with ``#`` is ``persona: text`` with the same syntax. The whole
script always runs (an error is printed and the next line follows); the exit code is 1 if a button was not
found, a line could not be understood, the bot raised an exception or did not settle, else 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import sys
import tempfile
import threading
import traceback
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TextIO
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext

from bot.sim.fake_api import FakeBotAPI, SentCall

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
BuildApp = Callable[[str, str], Awaitable[AnyApplication]]
OnClock = Callable[[AnyApplication], Awaitable[None]]  # run what is due after the clock moved
_SHIFT = re.compile(r"^\+((?:\d+[dhm])+)$")
_SHIFT_PART = re.compile(r"(\d+)([dhm])")
_QUESTION_MARKS = ("🙋", "⏰")  # the first characters of a parent's question as staff get it


def parse_clock(text: str, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """`+1d`, `+3h`, `+1d6h`, `+30m` from now, or `2026-12-08 16:00` (local time); ValueError otherwise."""
    text = text.strip()
    shift = _SHIFT.match(text)
    if shift:
        units = {"d": "days", "h": "hours", "m": "minutes"}
        delta = dt.timedelta(**{units[u]: 0 for u in units})
        for amount, unit in _SHIFT_PART.findall(shift.group(1)):
            delta += dt.timedelta(**{units[unit]: int(amount)})
        return now + delta
    moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)

_NEW = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"})
_EDIT = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})
_INDENT = "     "
_log = logging.getLogger(__name__)


class Persona(NamedTuple):
    user_id: int
    first_name: str
    language_code: str | None = "id"


def _norm(label: str) -> str:
    """A label without leading/trailing emoji and punctuation, case-folded: "📈 Grafik" -> "grafik"."""
    return re.sub(r"^\W+|\W+$", "", label).casefold()


class Simulator:
    """Drives one running application through a FakeBotAPI and prints the conversation."""

    def __init__(self, api: FakeBotAPI, app: AnyApplication, personas: Mapping[str, Persona | tuple[Any, ...]],
                 out: TextIO, *, idle_timeout: float = 30.0, save_dir: Path | None = None, clock: Any = None,
                 on_clock: OnClock | None = None, tz: ZoneInfo | None = None) -> None:
        self.api = api
        self.app = app
        self.clock = clock  # a bot.clock.ManualClock the app uses, or None (then /jam is not available)
        self.on_clock = on_clock
        self.tz = tz or ZoneInfo("Asia/Jakarta")
        self.personas = {name: Persona(*p) for name, p in personas.items()}
        self.out = out
        self.idle_timeout = idle_timeout
        self.current = "kader" if "kader" in self.personas else next(iter(self.personas))
        self.failures = 0
        self._save_dir = save_dir
        self._cursor = 0
        self._bot_errors: list[BaseException] = []
        self.quit = False
        self._printed = 0
        for p in self.personas.values():
            api.user(p.user_id, p.first_name, language_code=p.language_code)
        app.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        if context.error is not None:
            # The transcript gets one line; the traceback goes to the log for whoever debugs.
            _log.debug("exception in the bot", exc_info=context.error)
            self._bot_errors.append(context.error)

    # -- input -----------------------------------------------------------------------------------------------

    async def handle(self, line: str, persona: str | None = None) -> None:
        """Act on one input line as `persona` (default: the current one), then print what the bot did."""
        name = persona or self.current
        p = self.personas[name]
        text = line.strip()
        word, _, rest = text.partition(" ")
        cmd = word.lower()
        try:
            if cmd in ("/as", ":as") or (text.startswith("@") and " " not in text):
                self._switch(rest.strip() if cmd in ("/as", ":as") else text[1:])
                return
            if cmd in ("/users", ":users"):
                for n, q in self.personas.items():
                    mark = "*" if n == self.current else " "
                    self._print(f"{mark} {n}: {q.first_name} (id {q.user_id}, {q.language_code or '-'})")
                return
            if cmd in ("/quit", ":quit", ":q", "/keluar"):
                self.quit = True
                return
            if cmd in ("/jam", ":jam", "/clock"):
                await self._clock(rest)
                return
            if cmd in ("/balas", ":balas", "/reply"):
                if not self._reply(p.user_id, rest):
                    return
            elif cmd in ("/photo", "/foto"):
                self.api.send_photo(p.user_id, caption=rest or None)
            elif cmd in ("/contact", "/kontak"):
                self.api.send_contact(p.user_id, rest.strip() or self.api.phone_numbers.get(p.user_id, "081234567890"))
            elif cmd in ("/stiker", "/sticker"):
                self.api.send_sticker(p.user_id)
            elif cmd in ("/suara", "/voice"):
                self.api.send_voice(p.user_id)
            elif cmd in ("/dokumen", "/document"):
                path = Path(rest.strip())
                content = await asyncio.to_thread(path.read_bytes)
                self.api.send_document(p.user_id, path.name, content)
            elif text.startswith("[") and text.endswith("]"):
                label = text[1:-1].strip()
                try:
                    self.api.press(p.user_id, label)
                except LookupError:
                    shown = ", ".join(self.api.labels(p.user_id)) or "-"
                    self._fail(f"tombol {label!r} tidak ditemukan (ada: {shown})")
                    return
            elif not self._press_on_last(p.user_id, text):
                self.api.send_message(p.user_id, text)
        except LookupError as exc:
            self._fail(f"tombol tidak ditemukan: {exc}")
            return
        except OSError as exc:
            self._fail(f"berkas tidak bisa dibaca: {exc}")
            return
        await self.settle()
        if not self.flush(name):
            self._print("(tidak ada balasan)")

    def _reply(self, user_id: int, rest: str) -> bool:
        """`/balas [#12] teks`: a Telegram reply to the newest parent's question (with that number) in this chat,
        else to the newest message of the bot; False when there is nothing to reply to."""
        text = rest.strip()
        number = None
        if text.startswith("#"):
            number, _, text = text.partition(" ")
        mine = [m for m in self.api.messages(user_id) if m.get("from", {}).get("is_bot")]
        wanted = [m for m in mine if str(m.get("text", "")).startswith(_QUESTION_MARKS)
                  and (number is None or f"{number} " in str(m.get("text", "")))]
        target = wanted[-1] if wanted else (mine[-1] if mine and number is None else None)
        if target is None or not text.strip():
            self._fail("tidak ada pesan untuk dibalas" if target is None else "tulis balasannya: /balas teks")
            return False
        self.api.send_message(user_id, text.strip(), reply_to=target["message_id"])
        return True

    async def _clock(self, rest: str) -> None:
        """`/jam`: show the bot's time; `/jam +1d` or `/jam 2026-12-08 16:00`: move it, then run what is due."""
        if self.clock is None:
            self._fail("jam simulator tidak bisa diubah di sini")
            return
        if rest.strip():
            try:
                moment = parse_clock(rest, self.clock.now(), self.tz)
            except ValueError:
                self._fail("format jam: /jam +1d, /jam +3h, /jam +30m atau /jam 2026-12-08 16:00")
                return
            if moment < self.clock.now():
                self._print("(jam dimundurkan: pengingat yang sudah terkirim tidak terkirim lagi)")
            self.clock.set(moment)
        self._print(f"(jam bot: {self._now_text()})")
        if rest.strip() and self.on_clock is not None:
            await self.on_clock(self.app)
            await self.settle()
            if not self.flush():
                self._print("(tidak ada pesan yang jatuh tempo)")

    def _now_text(self) -> str:
        from bot.i18n import fmt_date

        local = self.clock.now().astimezone(self.tz)
        return f"{fmt_date(local.date(), 'id')} {local:%H.%M} {local.tzname()}"

    def _switch(self, name: str) -> None:
        if name not in self.personas:
            self._fail(f"persona tidak dikenal: {name!r} (ada: {', '.join(self.personas)})")
            return
        self.current = name
        p = self.personas[name]
        self._print(f"(sekarang sebagai {name}: {p.first_name})")

    def _press_on_last(self, user_id: int, text: str) -> bool:
        """Press a button of the newest bot message if `text` is its number or label; else False."""
        msgs = self.api.messages(user_id)
        if msgs:
            buttons = _inline(msgs[-1])
            chosen = None
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                chosen = buttons[int(text) - 1]
            else:
                want = _norm(text)
                chosen = next((b for b in buttons if b["text"] == text or (want and _norm(b["text"]) == want)),
                              None)
            if chosen is not None and "callback_data" in chosen:
                self.api.press_button(user_id, msgs[-1]["message_id"], chosen["callback_data"])
                return True
        keyboard = self.api.reply_keyboard(user_id)
        if keyboard:
            labels = [b["text"] if isinstance(b, dict) else str(b) for row in keyboard["keyboard"] for b in row]
            if text in labels or any(_norm(label) == _norm(text) and _norm(text) for label in labels):
                self.api.press(user_id, text)
                return True
        return False

    async def settle(self) -> None:
        try:
            await self.api.wait_idle(self.idle_timeout, update_queue=self.app.update_queue)
        except TimeoutError:
            self._fail(f"bot belum selesai setelah {self.idle_timeout:g} detik")

    # -- output ----------------------------------------------------------------------------------------------

    def _print(self, line: str) -> None:
        self._printed += 1
        self.out.write(line + "\n")

    def _fail(self, message: str) -> None:
        self.failures += 1
        self._print(f"! {message}")

    def _who(self, chat_id: int, viewer: str) -> str:
        for name, p in self.personas.items():
            if p.user_id == chat_id:
                return "bot" if name == viewer else f"bot → {name}"
        return f"bot → {chat_id}"

    def has_news(self) -> bool:
        return len(self.api.calls) > self._cursor or bool(self._bot_errors)

    def flush(self, viewer: str | None = None) -> int:
        """Print what the bot did since the last flush (messages to others marked "→ name"); lines printed."""
        viewer = viewer or self.current
        before = self._printed
        calls = self.api.calls[self._cursor:]
        self._cursor += len(calls)
        for call in calls:
            self._show_call(call, viewer)
        for err in self._bot_errors:
            where = traceback.extract_tb(err.__traceback__)[-1:] if err.__traceback__ else []
            at = f" ({Path(where[0].filename).name}:{where[0].lineno})" if where else ""
            self._fail(f"galat di bot: {type(err).__name__}: {err}{at}")
        self._bot_errors.clear()
        return self._printed - before

    def _show_call(self, call: SentCall, viewer: str) -> None:
        chat_id = call.params.get("chat_id")
        if call.error is not None:
            if call.method != "sendChatAction":
                self._print(f"! API {call.method} → {call.error.get('error_code')} {call.error.get('description')}")
            return
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            self._print(f"bot (notifikasi): {call.params['text']}")
            return
        if not isinstance(chat_id, int):
            return
        who = self._who(chat_id, viewer)
        if call.method in _NEW:
            results = call.result if isinstance(call.result, list) else [call.result]
            for msg in results:
                if "chat" not in msg:  # copyMessage answers with the id only
                    msg = next((m for m in self.api.messages(chat_id) if m["message_id"] == msg["message_id"]), msg)
                self._show_message(f"{who}:", msg, call.params.get("reply_markup"))
        elif call.method in _EDIT:
            self._show_message(f"{who} (ubah #{call.params.get('message_id')}):", call.result, None)
        elif call.method == "deleteMessage":
            self._print(f"{who} (hapus #{call.params.get('message_id')})")

    def _show_message(self, head: str, msg: dict[str, Any], sent_markup: Any) -> None:
        lines: list[str] = []
        if msg.get("photo"):
            lines.append(self._file_line("foto", msg["photo"][-1]["file_id"], None, msg["message_id"]))
        if msg.get("document"):
            doc = msg["document"]
            lines.append(self._file_line("dokumen", doc["file_id"], doc.get("file_name"), msg["message_id"]))
        body = msg.get("text") or msg.get("caption") or ""
        lines += body.splitlines() or ([] if lines else [""])
        buttons = _inline(msg)
        if buttons:
            lines.append(" ".join(f"[{i}: {b['text']}]" for i, b in enumerate(buttons, 1)))
        if isinstance(sent_markup, dict) and "keyboard" in sent_markup:
            keys = [b["text"] if isinstance(b, dict) else str(b) for row in sent_markup["keyboard"] for b in row]
            lines.append("⌨ " + " ".join(f"[{k}]" for k in keys))
        self._print(f"{head} {lines[0]}")
        for line in lines[1:]:
            self._print(f"{_INDENT}{line}")

    def _file_line(self, kind: str, file_id: str, name: str | None, message_id: int) -> str:
        content = self.api.files.get(file_id, b"")
        if self._save_dir is None:
            self._save_dir = Path(tempfile.mkdtemp(prefix="posyandu-sim-"))
        if name is None:
            ext = ".png" if content[:4] == b"\x89PNG" else ".jpg" if content[:2] == b"\xff\xd8" else ".bin"
            path = self._save_dir / f"{kind}-{message_id}{ext}"
        else:
            path = self._save_dir / f"{message_id}-{Path(name).name}"
        path.write_bytes(content)
        size = f"{len(content) / 1024:.0f} KB" if len(content) >= 1024 else f"{len(content)} B"
        label = f"{kind}: {name}, {size}" if kind == "dokumen" else f"{kind}: {size}"
        return f"[{label}, disimpan di {path}]"


def _inline(msg: dict[str, Any]) -> list[dict[str, Any]]:
    markup = msg.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def _read_line(inp: TextIO) -> str | None:
    """Read a line without blocking the loop (the bot's jobs keep running).

    A daemon thread, not the default executor: on Ctrl-C, asyncio.run would otherwise wait for Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = inp.readline()
        except (OSError, ValueError):
            line = ""
        def deliver() -> None:
            if not future.done():
                future.set_result(line)

        with contextlib.suppress(RuntimeError):  # the loop closed while we were waiting for input
            loop.call_soon_threadsafe(deliver)

    threading.Thread(target=read, name="simulator-input", daemon=True).start()
    line = await future
    return line.rstrip("\n") if line else None


async def run_script(sim: Simulator, script: Path) -> None:
    text = await asyncio.to_thread(script.read_text, encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, said = line.partition(":")
        name = name.strip()
        if not sep or name not in sim.personas:
            sim._fail(f"baris {number}: harus 'persona: teks' dengan persona {', '.join(sim.personas)}")
            continue
        sim._print(f"{name}> {said.strip()}")
        await sim.handle(said, name)
        if sim.quit:
            break


async def run_interactive(sim: Simulator, inp: TextIO, greeting: str | None = None) -> None:
    for intro in (greeting or "Simulator Posyandu Bot. Ketik pesan; /as <persona> ganti pengguna, /users daftar, "
                  "nomor/label tombol untuk menekan, /balas, /jam, /photo, /contact <no>, /quit keluar.").splitlines():
        sim._print(intro)
    echo = not inp.isatty()  # piped input is not echoed by a terminal: show it so the transcript reads well
    while not sim.quit:
        prompt = f"[{sim.current}] > "
        sim.out.write(prompt)
        sim.out.flush()
        reading = asyncio.ensure_future(_read_line(inp))
        while not reading.done():
            await asyncio.wait({reading}, timeout=0.5)
            if not reading.done() and sim.has_news() and sim.api.is_idle():
                # Something the bot sent on its own (a job, a reminder): show it and prompt again.
                sim.out.write("\n")
                sim.flush()
                sim.out.write(prompt)
                sim.out.flush()
        line = reading.result()
        if line is None:
            sim._print("")
            break
        if echo:
            sim._print(line)
        if line.strip():
            await sim.handle(line)


async def simulate(build_app: BuildApp, personas: Mapping[str, Persona | tuple[Any, ...]], script: Path | None,
                   out: TextIO = sys.stdout, inp: TextIO = sys.stdin, *, idle_timeout: float = 30.0,
                   save_dir: Path | None = None, clock: Any = None, on_clock: OnClock | None = None,
                   tz: ZoneInfo | None = None, greeting: str | None = None) -> int:
    """Start the stand-in and the app built by `build_app(base_url, base_file_url)`; chat; return an exit code.

    The app is built with the stand-in's URLs and must not be initialised yet; the stand-in adopts its token.
    """
    if not personas:
        raise ValueError("at least one persona is needed")
    api = FakeBotAPI()
    await api.start()
    try:
        app = await build_app(api.base_url, api.base_file_url)
        api.use_token(app.bot.token)
        sim = Simulator(api, app, personas, out, idle_timeout=idle_timeout, save_dir=save_dir, clock=clock,
                        on_clock=on_clock, tz=tz)
        async with app:
            await app.start()
            assert app.updater is not None, "the simulator needs an Application with an Updater"
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                await sim.settle()
                if script is not None:
                    await run_script(sim, script)
                else:
                    await run_interactive(sim, inp, greeting)
                sim.flush()
            finally:
                await app.updater.stop()
                await app.stop()
        return 1 if script is not None and sim.failures else 0
    finally:
        await api.stop()
