"""Local stand-in for the Telegram Bot API: an aiohttp app on 127.0.0.1 that queues updates, records replies.

Tests and the terminal simulator point python-telegram-bot at it (``base_url``/``base_file_url``), push user
actions in (``send_message``, ``press``...), and read back what the bot sent (``messages``, ``calls``,
``files``). It validates requests the way the real server does (text length, HTML entities, callback_data
size, "message is not modified", unknown chats) and can answer 429/403/500 or drop a connection on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import ClientSession, ClientTimeout, web

FaultKind = Literal["400", "429", "403", "500", "drop", "drop_after"]
Params = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Keys the stand-in keeps on its message records but the real API never returns.
_INTERNAL_KEYS = frozenset({"raw_text", "raw_caption", "reply_keyboard", "deleted", "_seq"})
_JSON_KEYS = frozenset({
    "reply_markup", "entities", "caption_entities", "commands", "scope", "menu_button", "allowed_updates",
    "link_preview_options", "reply_parameters", "media",
})
_INT_KEYS = frozenset({
    "chat_id", "message_id", "from_chat_id", "offset", "limit", "timeout", "reply_to_message_id", "user_id",
    "cache_time", "message_thread_id", "max_connections",
})
_BOOL_KEYS = frozenset({
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler", "disable_content_type_detection",
    "show_caption_above_media",
})
# Methods that count against the flood limits (Telegram limits sending messages, not chat actions).
_SENDING = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage",
    "sendSticker", "sendVoice", "sendAudio", "sendVideo", "sendLocation", "sendContact",
})
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook's secret_token, as Telegram checks it
_OTHER_BUTTON_KINDS = ("web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
                       "callback_game", "pay", "copy_text", "switch_inline_query_chosen_chat")


@dataclass
class SentCall:
    """One request the bot made (getUpdates is not recorded: it is polling noise)."""

    method: str
    params: dict[str, Any]
    result: Any
    error: dict[str, Any] | None
    at: float  # time.monotonic()


@dataclass
class _Fault:
    method: str
    kind: FaultKind
    times: int
    retry_after: int
    chat_id: int | None


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _u16(s: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for entity offsets and text limits."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


# ----------------------------------------------------------------------------------------------------
# Entity parsing (HTML, MarkdownV2, Markdown) -> (plain text, entities)

_HTML_TOKEN = re.compile(r"<(/?)([^<>\s/]*)([^<>]*)>|&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|<")
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "text_link", "span": "spoiler",
    "tg-emoji": "custom_emoji",
}


def parse_html(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML; raise _ApiError like the server on unsupported or unbalanced tags."""

    def offset_of(pos: int) -> int:
        return len(raw[:pos].encode())

    def fail(msg: str) -> _ApiError:
        return _bad(f"can't parse entities: {msg}")

    out: list[str] = []
    length = 0  # UTF-16 length of `out` so far
    stack: list[tuple[str, int, dict[str, Any]]] = []  # tag, start offset, entity template
    template: dict[str, Any]
    entities: list[dict[str, Any]] = []
    pos = 0
    for m in _HTML_TOKEN.finditer(raw):
        if m.start() > pos:
            chunk = raw[pos:m.start()]
            out.append(chunk)
            length += _u16(chunk)
        pos = m.end()
        closing, tag, attrs, entity = m.group(1), m.group(2), m.group(3), m.group(4)
        if entity is not None:
            if entity.startswith("#"):
                code = int(entity[2:], 16) if entity[1] in "xX" else int(entity[1:])
                if not 0 < code <= 0x10FFFF:
                    raise fail(f"Unsupported HTML entity at byte offset {offset_of(m.start())}")
                ch = chr(code)
            elif entity.lower() in _NAMED:
                ch = _NAMED[entity.lower()]
            else:  # the server keeps unknown named entities literally
                ch = m.group(0)
            out.append(ch)
            length += _u16(ch)
            continue
        if tag is None:  # a lone "<"
            raise fail(f'Unsupported start tag "" at byte offset {offset_of(m.start())}')
        tag = tag.lower()
        if closing:
            if not stack:
                raise fail(f'Unexpected end tag at byte offset {offset_of(m.start())}')
            open_tag, start, template = stack.pop()
            if open_tag != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {offset_of(m.start())}, expected "</{open_tag}>", '
                    f'found "</{tag}>"'
                )
            if length > start:
                entities.append({**template, "offset": start, "length": length - start})
            continue
        if tag not in _SIMPLE_TAGS or attrs.rstrip().endswith("/"):
            raise fail(f'Unsupported start tag "{tag}" at byte offset {offset_of(m.start())}')
        attr = {a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or "" for a in _ATTR.finditer(attrs)}
        template = {"type": _SIMPLE_TAGS[tag]}
        if tag == "a":
            href = attr.get("href", "")
            if not href:
                raise fail(f'Unsupported start tag "a" at byte offset {offset_of(m.start())}')
            if href.startswith("tg://user?id="):
                template = {"type": "text_mention", "user": {"id": int(href[13:] or 0), "is_bot": False,
                                                             "first_name": ""}}
            else:
                template["url"] = href
        elif tag == "span" and attr.get("class") != "tg-spoiler":
            raise fail(f'Unsupported start tag "span" at byte offset {offset_of(m.start())}')
        elif tag == "tg-emoji":
            template["custom_emoji_id"] = attr.get("emoji-id", "")
        elif tag == "blockquote" and "expandable" in attr:
            template["type"] = "expandable_blockquote"
        elif tag == "code" and attr.get("class", "").startswith("language-") and stack[-1:] and \
                stack[-1][0] == "pre":
            stack[-1][2]["language"] = attr["class"][9:]
        stack.append((tag, length, template))
    if pos < len(raw):
        out.append(raw[pos:])
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip MarkdownV2 markup; reject unescaped reserved characters like the server (no entities)."""
    out: list[str] = []
    i, n = 0, len(raw)
    in_code = False
    while i < n:
        ch = raw[i]
        if ch == "\\" and i + 1 < n:
            out.append(raw[i + 1])
            i += 2
            continue
        if ch == "`":
            if raw.startswith("```", i):
                in_code = not in_code
                i += 3
                continue
            in_code = not in_code
            i += 1
            continue
        if in_code:
            out.append(ch)
        elif ch in "*_~|" or (ch == ">" and (i == 0 or raw[i - 1] == "\n")):
            pass  # formatting markers (balance is not checked)
        elif ch == "[":
            end = raw.find("](", i)
            close = raw.find(")", end) if end >= 0 else -1
            if end < 0 or close < 0:
                raise _bad(f"can't parse entities: Character '[' is reserved and must be escaped with the "
                           f"preceding '\\' at byte offset {len(raw[:i].encode())}")
            out.append(parse_markdown_v2(raw[i + 1:end])[0])
            i = close + 1
            continue
        elif ch in _MDV2_RESERVED:
            raise _bad(f"can't parse entities: Character '{ch}' is reserved and must be escaped with the "
                       f"preceding '\\'")
        else:
            out.append(ch)
        i += 1
    if in_code:
        raise _bad("can't parse entities: Can't find end of Pre entity at byte offset 0")
    return "".join(out), []


def parse_markdown(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: strip *bold*, _italic_, `code` and [links](url)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    for marker in ("```", "*", "_", "`"):
        if text.count(marker) % 2:
            raise _bad(f"can't parse entities: Can't find end of the entity starting at byte offset "
                       f"{len(text[:text.rfind(marker)].encode())}")
        text = text.replace(marker, "")
    return text, []


def parse_text(raw: str, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text with surrounding whitespace trimmed, entities) for a text or caption."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        text, ents = parse_html(raw)
    elif mode == "markdownv2":
        text, ents = parse_markdown_v2(raw)
    elif mode == "markdown":
        text, ents = parse_markdown(raw)
    elif mode:
        raise _bad("unsupported parse_mode")
    else:
        text, ents = raw, list(entities or [])
    stripped = text.strip()
    if stripped != text and ents:
        lead = _u16(text[: len(text) - len(text.lstrip())])
        limit = _u16(stripped)
        fixed = []
        for e in ents:
            start = max(e["offset"] - lead, 0)
            end = min(e["offset"] + e["length"] - lead, limit)
            if end > start:
                fixed.append({**e, "offset": start, "length": end - start})
        ents = fixed
    return stripped, ents


# ----------------------------------------------------------------------------------------------------
# Files


def tiny_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 60, 60)) -> bytes:
    """A valid solid-colour PNG (used for the photos users send)."""
    row = b"\x00" + bytes(rgb) * width
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def image_size(content: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG; (0, 0) if unknown."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        w, h = struct.unpack(">II", content[16:24])
        return int(w), int(h)
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                i += 1
                continue
            marker = content[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", content[i + 5:i + 9])
                return int(w), int(h)
            i += 2 + struct.unpack(">H", content[i + 2:i + 4])[0]
    return 0, 0


# ----------------------------------------------------------------------------------------------------


class FakeBotAPI:
    """In-process Bot API server. Not thread-safe: use it from the event loop that runs it."""

    def __init__(self, *, token: str = "123456:TEST", bot_username: str = "posyandu_test_bot") -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Posyandu Test",
            "username": bot_username, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
        }
        self.calls: list[SentCall] = []
        self.files: dict[str, bytes] = {}
        self.rate_limit_per_second: float | None = None
        self.per_chat_limit: float | None = None
        self.now: Callable[[], float] = time.time  # clock for message dates; tests may replace it
        self.commands: dict[str, list[dict[str, Any]]] = {}  # json(scope)+"|"+lang -> commands
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        # callback query id -> answerCallbackQuery params (None = not answered yet)
        self.callback_answers: dict[str, dict[str, Any] | None] = {}
        self.webhook: dict[str, Any] = {}
        self.get_updates_calls = 0
        self.phone_numbers: dict[int, str] = {}  # what a request_contact button shares for that user

        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._faults: list[_Fault] = []
        self._next_update_id = 1
        self._updates: deque[dict[str, Any]] = deque()  # queued, not yet confirmed by offset
        self._last_queued_id = 0
        self._delivered_upto = 0
        self._poll_waiter: asyncio.Future[str] | None = None
        self._msg_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # every message, users' too
        self._bot_messages: list[dict[str, Any]] = []
        self._chat_bot_messages: dict[int, list[dict[str, Any]]] = {}
        self._cursors: dict[int, int] = {}
        self._reply_keyboards: dict[int, dict[str, Any]] = {}  # chat -> active reply keyboard message record
        self._file_ids = itertools.count(1)
        self._file_meta: dict[str, dict[str, Any]] = {}
        self._query_ids = itertools.count(1)
        self._sent_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}
        self._in_flight = 0
        self._busy_until = 0.0
        self._last_activity = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._methods: dict[str, tuple[str, Callable[[Params], Awaitable[Any]]]] = {}
        for name in (
            "getMe", "logOut", "close", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage",
            "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage",
            "answerCallbackQuery", "sendPhoto", "sendDocument", "sendMediaGroup", "sendChatAction",
            "setMyCommands", "getMyCommands", "deleteMyCommands", "setChatMenuButton", "getChatMenuButton",
            "getFile", "copyMessage", "forwardMessage", "getChat", "setMyDescription",
            "setMyShortDescription", "setMyName",
        ):
            handler = getattr(self, "_m_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())
            self._methods[name.lower()] = (name, handler)

    # -- server lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._webhook_task:
            self._webhook_task.cancel()
            self._webhook_task = None
        if self._poll_waiter and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self._port}/file/bot"

    # -- users and incoming updates

    def user(self, user_id: int, first_name: str = "User", *, language_code: str | None = "id",
             username: str | None = None) -> dict[str, Any]:
        """Register a user (private chat, chat_id == user_id) or return it; non-default args update it."""
        u = self._users.get(user_id)
        if u is None:
            u = {"id": user_id, "is_bot": False, "first_name": first_name}
            if language_code:
                u["language_code"] = language_code
            if username:
                u["username"] = username
            self._users[user_id] = u
            self._msg_ids[user_id] = itertools.count(1)
        else:
            if first_name != "User":
                u["first_name"] = first_name
            if language_code != "id":
                if language_code:
                    u["language_code"] = language_code
                else:
                    u.pop("language_code", None)
            if username:
                u["username"] = username
        return u

    def _chat(self, user_id: int) -> dict[str, Any]:
        u = self._users[user_id]
        chat = {"id": user_id, "type": "private", "first_name": u["first_name"]}
        if "username" in u:
            chat["username"] = u["username"]
        return chat

    def _incoming(self, user_id: int, **content: Any) -> dict[str, Any]:
        if user_id not in self._users:
            self.user(user_id)
        msg = {"message_id": next(self._msg_ids[user_id]), "from": self._users[user_id],
               "chat": self._chat(user_id), "date": int(self.now()), **content}
        self._messages[(user_id, msg["message_id"])] = msg
        return msg

    def _queue(self, update: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **update}
        self._updates.append(update)
        self._last_queued_id = update_id
        if self._poll_waiter and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        self._webhook_wakeup.set()
        return update_id

    def send_message(self, user_id: int, text: str, *, reply_to: int | None = None) -> int:
        """The user sends `text`; `reply_to`: the id of a message in their chat it replies to (Telegram reply)."""
        content: dict[str, Any] = {"text": text}
        if reply_to is not None:
            replied = self._messages.get((user_id, reply_to))
            if replied is None:
                raise LookupError(f"no message {reply_to} in chat {user_id}")
            content["reply_to_message"] = _public(replied)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(command)}]
        return self._queue({"message": self._incoming(user_id, **content)})

    def send_contact(self, user_id: int, phone_number: str, *, contact_user_id: int | None = None) -> int:
        """Share a contact; contact_user_id None = the sender's own (request_contact), 0 = no user_id."""
        first = self.user(user_id)["first_name"]
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first}
        owner = user_id if contact_user_id is None else contact_user_id
        if owner:
            contact["user_id"] = owner
        return self._queue({"message": self._incoming(user_id, contact=contact)})

    def _user_file(self, content: bytes, kind: str) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id, unique = f"U{n:06d}-{kind}", f"uu{n}"
        self.files[file_id] = content
        self._file_meta[file_id] = {"file_unique_id": unique, "kind": kind}
        return file_id, unique

    def send_photo(self, user_id: int, content: bytes | None = None, caption: str | None = None) -> int:
        data = content if content is not None else tiny_png(64, 48)
        file_id, unique = self._user_file(data, "photo")
        w, h = image_size(data)
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        photo = [{"file_id": file_id, "file_unique_id": unique, "width": w, "height": h,
                  "file_size": len(data)}]
        return self._queue({"message": self._incoming(user_id, photo=photo, **extra)})

    def send_sticker(self, user_id: int) -> int:
        file_id, unique = self._user_file(b"RIFF-sticker", "sticker")
        sticker = {"file_id": file_id, "file_unique_id": unique, "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return self._queue({"message": self._incoming(user_id, sticker=sticker)})

    def send_voice(self, user_id: int, duration: int = 3) -> int:
        file_id, unique = self._user_file(b"OggS-voice", "voice")
        voice = {"file_id": file_id, "file_unique_id": unique, "duration": duration, "mime_type": "audio/ogg",
                 "file_size": 10}
        return self._queue({"message": self._incoming(user_id, voice=voice)})

    def send_document(self, user_id: int, filename: str, content: bytes) -> int:
        file_id, unique = self._user_file(content, "document")
        doc = {"file_id": file_id, "file_unique_id": unique, "file_name": filename,
               "mime_type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
               "file_size": len(content)}
        return self._queue({"message": self._incoming(user_id, document=doc)})

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> int:
        """Queue a callback_query for an inline button; LookupError if that message has no such button."""
        rec = self._messages.get((user_id, message_id))
        if rec is None or rec.get("deleted") or rec.get("from") is not self.bot_user:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        datas = [b.get("callback_data") for b in _inline_buttons(rec)]
        if callback_data not in datas:
            raise LookupError(f"message {message_id} has no button with callback_data {callback_data!r}; "
                              f"it has {datas}")
        return self._queue_query(user_id, rec, callback_data)

    def forge_callback(self, user_id: int, message_id: int, callback_data: str) -> int:
        """Queue a callback_query with any data on one of the bot's messages, as a modified client can send.

        Telegram checks that the message exists in the user's chat (and keeps data to 64 bytes), not that the
        message has such a button.
        """
        rec = self._messages.get((user_id, message_id))
        if rec is None or rec.get("deleted") or rec.get("from") is not self.bot_user:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        if not 1 <= len(callback_data.encode()) <= 64:
            raise ValueError("Telegram carries 1-64 bytes of callback data")
        return self._queue_query(user_id, rec, callback_data)

    def _queue_query(self, user_id: int, rec: dict[str, Any], callback_data: str) -> int:
        query_id = f"{user_id}{next(self._query_ids):08d}"
        self.callback_answers[query_id] = None
        query = {"id": query_id, "from": self._users[user_id], "message": _public(rec),
                 "chat_instance": f"ci{user_id}", "data": callback_data}
        return self._queue({"callback_query": query})

    def press(self, user_id: int, label: str) -> int:
        """Press the newest button in that chat whose text contains `label` (case-insensitive).

        Inline buttons send a callback query; reply-keyboard buttons send their text (or the user's contact
        for request_contact buttons). Exact matches beat substring matches within a message.
        """
        want = label.strip().casefold()
        reply_rec = self._reply_keyboards.get(user_id)
        for rec in reversed(self._chat_bot_messages.get(user_id, [])):
            if reply_rec is not None and rec["_seq"] <= reply_rec["_seq"]:
                update_id = self._press_reply_key(user_id, reply_rec, want)
                if update_id is not None:
                    return update_id
                reply_rec = None
            if rec.get("deleted"):
                continue
            button = _pick([b for b in _inline_buttons(rec) if "callback_data" in b], want)
            if button is not None:
                return self.press_button(user_id, rec["message_id"], button["callback_data"])
        raise LookupError(f"no button matching {label!r} in chat {user_id}; "
                          f"available: {self.labels(user_id)}")

    def _press_reply_key(self, user_id: int, rec: dict[str, Any], want: str) -> int | None:
        keyboard = rec["reply_keyboard"]["keyboard"]
        buttons = [b if isinstance(b, dict) else {"text": b} for row in keyboard for b in row]
        button = _pick(buttons, want)
        if button is None:
            return None
        if rec["reply_keyboard"].get("one_time_keyboard"):
            self._reply_keyboards.pop(user_id, None)
        if button.get("request_contact"):
            return self.send_contact(user_id, self.phone_numbers.get(user_id, f"+628{user_id:010d}"[:14]))
        return self.send_message(user_id, str(button["text"]))

    def reply_keyboard(self, user_id: int) -> dict[str, Any] | None:
        """The reply keyboard currently shown in that chat (ReplyKeyboardMarkup dict as sent), if any."""
        rec = self._reply_keyboards.get(user_id)
        return rec["reply_keyboard"] if rec else None

    def use_token(self, token: str) -> None:
        """Serve another bot token (e.g. the one an app under test was built with); before it connects."""
        self.token = token
        self.bot_user["id"] = int(token.split(":", 1)[0])

    def labels(self, user_id: int) -> list[str]:
        """Labels a user can press now: inline buttons (newest message first), then the reply keyboard."""
        found: list[str] = []
        for rec in reversed(self._chat_bot_messages.get(user_id, [])):
            if not rec.get("deleted"):
                found += [b["text"] for b in _inline_buttons(rec) if "callback_data" in b]
        rk = self._reply_keyboards.get(user_id)
        if rk:
            found += [b["text"] if isinstance(b, dict) else b for row in rk["reply_keyboard"]["keyboard"]
                      for b in row]
        return found

    # -- what the bot sent

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Live records of the messages the bot created (not deleted), in order, as they are after edits.

        Each is a Bot API Message dict whose "text"/"caption" is plain text (tags stripped, entities
        unescaped), plus "raw_text"/"raw_caption" as sent. "reply_markup" is the markup as sent, reply
        keyboards included (the API's own answers carry inline keyboards only).
        """
        source = self._bot_messages if chat_id is None else self._chat_bot_messages.get(chat_id, [])
        return [m for m in source if not m.get("deleted")]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        msgs = self.messages(chat_id)
        if not msgs:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return msgs[-1]

    def unanswered_callback_queries(self) -> list[str]:
        return [qid for qid, answer in self.callback_answers.items() if answer is None]

    def dump(self, last: int = 15) -> str:
        """Recent requests and the update queue, for failure messages."""
        lines = [f"pending updates: {len(self._updates)} (last queued {self._last_queued_id}, "
                 f"delivered up to {self._delivered_upto}); in flight: {self._in_flight}",
                 f"last {min(last, len(self.calls))} of {len(self.calls)} calls:"]
        for c in self.calls[-last:]:
            brief = {k: (v if len(str(v)) < 120 else str(v)[:117] + "...") for k, v in c.params.items()}
            status = f"ERROR {c.error}" if c.error else "ok"
            lines.append(f"  {c.method} {brief} -> {status}")
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s\n{self.dump()}")
            await asyncio.sleep(0.005)

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait for at least `count` new bot messages to chat_id since the previous call (or start).

        Returns all of them (possibly more than `count`), including any since deleted (flag "deleted").
        """
        start = self._cursors.get(chat_id, 0)

        def enough() -> bool:
            return len(self._chat_bot_messages.get(chat_id, [])) - start >= count

        try:
            await self.wait_for(enough, timeout)
        except TimeoutError:
            got = [m.get("text", m.get("caption")) for m in self._chat_bot_messages.get(chat_id, [])[start:]]
            raise TimeoutError(f"expected {count} new message(s) to chat {chat_id} within {timeout} s, got "
                               f"{len(got)}: {got}\n{self.dump()}") from None
        msgs = self._chat_bot_messages[chat_id]
        self._cursors[chat_id] = len(msgs)
        return msgs[start:]

    def is_idle(self, quiet: float = 0.1) -> bool:
        """True if every queued update was fetched and no request came in the last `quiet` seconds."""
        return self._fetched_and_quiet(quiet)

    def _fetched_and_quiet(self, quiet: float) -> bool:
        now = time.monotonic()
        return (self._delivered_upto >= self._last_queued_id and self._in_flight == 0
                and now - self._last_activity >= quiet and now >= self._busy_until)

    async def wait_idle(self, timeout: float = 5.0, *, quiet: float = 0.1,
                        update_queue: asyncio.Queue[Any] | None = None) -> None:
        """Wait until every queued update was fetched and no request came for `quiet` seconds.

        Pass the application's `update_queue` to also wait until PTB finished processing what it fetched
        (handlers that compute for longer than `quiet` without calling the API are then covered too).
        """
        deadline = time.monotonic() + timeout
        while True:
            await self.wait_for(lambda: self._fetched_and_quiet(quiet), max(deadline - time.monotonic(), 0))
            if update_queue is None:
                return
            mark = self._last_activity
            try:
                await asyncio.wait_for(update_queue.join(), max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                raise TimeoutError(f"the bot was still processing updates after {timeout} s\n{self.dump()}") \
                    from None
            if self._last_activity == mark and self._fetched_and_quiet(0) and self._in_flight == 0:
                return

    # -- fault injection

    def inject(self, method: str, kind: FaultKind, *, times: int = 1, retry_after: int = 1,
               chat_id: int | None = None) -> None:
        """Answer the next `times` calls of `method` ("*" = any but getUpdates) with a fault.

        "drop" closes the connection before doing anything; "drop_after" performs the call, then drops the
        answer (the message exists but the bot sees a network error).
        """
        self._faults.append(_Fault(method.lower(), kind, times, retry_after, chat_id))

    def block_user(self, user_id: int) -> None:
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    # -- HTTP

    async def _read_params(self, request: web.Request) -> Params:
        params: Params = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                for key, value in (await request.post()).items():
                    params[key] = value
        for key in _JSON_KEYS & params.keys():
            if isinstance(params[key], str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    raise _bad(f"can't parse {key} JSON object") from None
        for key in _INT_KEYS & params.keys():
            v = params[key]
            if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
                params[key] = int(v)
        for key in _BOOL_KEYS & params.keys():
            if isinstance(params[key], str):
                params[key] = params[key].lower() == "true"
        return params

    @staticmethod
    def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(body=json.dumps(payload, ensure_ascii=False).encode(), status=status,
                            content_type="application/json")

    def _error(self, err: _ApiError) -> web.Response:
        payload: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.parameters:
            payload["parameters"] = err.parameters
        return self._json(payload, err.code)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(_ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        entry = self._methods.get(name.lower())
        if name.lower() == "getupdates":
            return await self._get_updates(request)
        self._in_flight += 1
        self._last_activity = time.monotonic()
        call = SentCall(entry[0] if entry else name, {}, None, None, time.monotonic())
        self.calls.append(call)
        try:
            try:
                call.params = await self._read_params(request)
                fault = self._take_fault(call)
                if fault and fault.kind == "drop":
                    call.error = {"error_code": 0, "description": "connection dropped"}
                    if request.transport:
                        request.transport.close()
                    return web.Response()
                if entry is None:
                    raise _ApiError(404, "Not Found: method not found")
                if fault and fault.kind != "drop_after":
                    raise _fault_error(fault)
                self._check_access(call)
                try:
                    call.result = await entry[1](call.params)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    # Malformed parameters the checks above did not anticipate: answer like a 400, visibly.
                    raise _bad(f"the stand-in could not handle this request: {exc!r}") from exc
            except _ApiError as err:
                call.error = {"error_code": err.code, "description": err.description}
                if err.parameters:
                    call.error["parameters"] = err.parameters
                    # The bot is expected to retry after the pause: wait_idle must not call it idle before.
                    retry_at = time.monotonic() + err.parameters.get("retry_after", 0) + 0.5
                    self._busy_until = max(self._busy_until, retry_at)
                return self._error(err)
            if fault and fault.kind == "drop_after":
                call.error = {"error_code": 0, "description": "connection dropped after the call was done"}
                if request.transport:
                    request.transport.close()
                return web.Response()
            return self._json({"ok": True, "result": call.result})
        finally:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    def _take_fault(self, call: SentCall) -> _Fault | None:
        method = call.method.lower()
        for fault in self._faults:
            if fault.method not in (method, "*"):
                continue
            if fault.chat_id is not None and call.params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def _check_access(self, call: SentCall) -> None:
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if call.method not in _SENDING:
            return
        now = time.monotonic()
        if self.rate_limit_per_second is not None:
            window = self._sent_window
            while window and window[0] <= now - 1:
                window.popleft()
            if len(window) >= self.rate_limit_per_second:
                raise _ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if self.per_chat_limit is not None and isinstance(chat_id, int):
            chat_window = self._chat_windows.setdefault(chat_id, deque())
            while chat_window and chat_window[0] <= now - 1:
                chat_window.popleft()
            if len(chat_window) >= self.per_chat_limit:
                raise _ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            chat_window.append(now)
        if self.rate_limit_per_second is not None:
            self._sent_window.append(now)

    async def _get_updates(self, request: web.Request) -> web.Response:
        self.get_updates_calls += 1
        try:
            params = await self._read_params(request)
        except _ApiError as err:
            return self._error(err)
        if self.webhook.get("url"):
            return self._error(_ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                              "active; use deleteWebhook to delete the webhook first"))
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or None
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if self._poll_waiter and not self._poll_waiter.done():
            # Like Telegram: a newer getUpdates terminates the one still waiting.
            self._poll_waiter.set_result("conflict")
        if not self._updates and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            try:
                reason = await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if reason == "conflict":
                return self._error(_ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                                  "sure that only one bot instance is running"))
        if request.transport is None or request.transport.is_closing():
            # That poller is gone (its app stopped): do not count updates as fetched by anyone.
            return web.Response()
        if allowed:
            kept = [u for u in self._updates if any(k in allowed for k in u if k != "update_id")]
            self._updates = deque(kept)
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            self._last_activity = time.monotonic()
        elif not self._updates:
            self._delivered_upto = self._last_queued_id
        return self._json({"ok": True, "result": batch})

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(_ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for file_id, meta in self._file_meta.items():
            if meta.get("file_path") == path:
                return web.Response(body=self.files[file_id])
        return self._error(_ApiError(404, "Not Found"))

    # -- webhook delivery

    async def _deliver_webhook(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=30)) as session:
            while self.webhook.get("url"):
                if not self._updates:
                    self._webhook_wakeup.clear()
                    await self._webhook_wakeup.wait()
                    continue
                update = self._updates[0]
                headers = {"Content-Type": "application/json"}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    body = json.dumps(update)
                    async with session.post(self.webhook["url"], data=body, headers=headers) as r:
                        ok = r.status < 300
                        if not ok:
                            self.webhook["last_error_message"] = f"Wrong response from the webhook: {r.status}"
                except Exception as exc:  # the bot's server may be down; retry like Telegram does
                    ok = False
                    self.webhook["last_error_message"] = f"Connection failed: {exc!r}"
                if ok:
                    self._updates.popleft()
                    self._delivered_upto = update["update_id"]
                    self._last_activity = time.monotonic()
                else:
                    await asyncio.sleep(0.2)

    # -- methods

    def _known_chat(self, params: Params, key: str = "chat_id") -> int:
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise _bad(f"{key} is empty")
        if not isinstance(chat_id, int) or chat_id not in self._users:
            raise _bad("chat not found")
        return chat_id

    def _bot_message(self, params: Params, action: str = "edit") -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the stand-in")
        chat_id = self._known_chat(params)
        rec = self._messages.get((chat_id, params.get("message_id")))  # type: ignore[arg-type]
        if rec is None or rec.get("deleted"):
            raise _bad(f"message to {action} not found")
        if rec.get("from") is not self.bot_user and action == "edit":
            raise _bad("message can't be edited")
        return rec

    async def _m_get_me(self, p: Params) -> Any:
        return self.bot_user

    async def _m_log_out(self, p: Params) -> Any:
        return True

    async def _m_close(self, p: Params) -> Any:
        return True

    async def _m_set_webhook(self, p: Params) -> Any:
        url = str(p.get("url") or "")
        if not url:
            return await self._m_delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._delivered_upto = self._last_queued_id
        self.webhook = {"url": url, "secret_token": p.get("secret_token"),
                        "max_connections": p.get("max_connections", 40)}
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook())
        self._webhook_wakeup.set()
        return True

    async def _m_delete_webhook(self, p: Params) -> Any:
        self.webhook = {}
        self._webhook_wakeup.set()  # lets the delivery task notice and end
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._delivered_upto = self._last_queued_id
        return True

    async def _m_get_webhook_info(self, p: Params) -> Any:
        info: dict[str, Any] = {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self.webhook.get("url"):
            info["max_connections"] = self.webhook.get("max_connections", 40)
        if self.webhook.get("last_error_message"):
            info["last_error_date"] = int(self.now())
            info["last_error_message"] = self.webhook["last_error_message"]
        return info

    def _markup(self, p: Params, *, edit: bool = False) -> tuple[dict[str, Any] | None, Any]:
        """Validate reply_markup; return (inline markup, reply keyboard or remove/force_reply)."""
        markup = p.get("reply_markup")
        if not markup:
            return None, None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
                raise _bad("can't parse inline keyboard markup JSON object")
            if sum(len(r) for r in rows) > 100:
                raise _bad("too many inline keyboard buttons")
            for button in (b for r in rows for b in r):
                if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the inline "
                               "keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                        raise _bad("BUTTON_URL_INVALID")
                elif not any(k in button for k in _OTHER_BUTTON_KINDS):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the inline "
                               "keyboard")
            return markup, None
        if edit:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not rows or any(not isinstance(r, list) for r in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for button in (b for r in rows for b in r):
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text.strip():
                    raise _bad("can't parse keyboard button: Text must be non-empty")
            return None, markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return None, markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _new_message(self, chat_id: int, p: Params, content: dict[str, Any]) -> dict[str, Any]:
        inline, reply = self._markup(p)
        reply_to = p.get("reply_to_message_id")
        params = p.get("reply_parameters")
        allow_missing = bool(p.get("allow_sending_without_reply"))
        if isinstance(params, dict):
            reply_to = params.get("message_id")
            allow_missing = allow_missing or bool(params.get("allow_sending_without_reply"))
        replied = self._messages.get((chat_id, reply_to)) if reply_to else None
        if reply_to and (replied is None or replied.get("deleted")) and not allow_missing:
            raise _bad("message to be replied not found")
        rec: dict[str, Any] = {"message_id": next(self._msg_ids[chat_id]), "from": self.bot_user,
                               "chat": self._chat(chat_id), "date": int(self.now()), **content}
        if replied is not None and not replied.get("deleted"):
            rec["reply_to_message"] = _public(replied)
        if p.get("reply_markup"):
            rec["reply_markup"] = inline if inline is not None else reply
        rec["_seq"] = len(self._bot_messages)
        if reply is not None:
            if "keyboard" in reply:
                rec["reply_keyboard"] = reply
                self._reply_keyboards[chat_id] = rec
            else:
                self._reply_keyboards.pop(chat_id, None)
        self._messages[(chat_id, rec["message_id"])] = rec
        self._bot_messages.append(rec)
        self._chat_bot_messages.setdefault(chat_id, []).append(rec)
        return rec

    @staticmethod
    def _text(p: Params, key: str = "text") -> tuple[str, list[dict[str, Any]]]:
        raw = p.get(key)
        if raw is None:
            raw = ""
        entities_key = "entities" if key == "text" else "caption_entities"
        return parse_text(str(raw), p.get("parse_mode"), p.get(entities_key))

    def _text_content(self, p: Params) -> dict[str, Any]:
        text, entities = self._text(p)
        if not text:
            raise _bad("message text is empty")
        if _u16(text) > MAX_TEXT:
            raise _bad("message is too long")
        content: dict[str, Any] = {"text": text, "raw_text": p.get("text")}
        if entities:
            content["entities"] = entities
        if isinstance(p.get("link_preview_options"), dict):
            content["link_preview_options"] = p["link_preview_options"]
        return content

    def _caption_content(self, p: Params) -> dict[str, Any]:
        if p.get("caption") is None:
            return {}
        caption, entities = self._text(p, "caption")
        if _u16(caption) > MAX_CAPTION:
            raise _bad("message caption is too long")
        if not caption:
            return {}
        content: dict[str, Any] = {"caption": caption, "raw_caption": p.get("caption")}
        if entities:
            content["caption_entities"] = entities
        return content

    async def _m_send_message(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        return _public(self._new_message(chat_id, p, self._text_content(p)))

    async def _m_edit_message_text(self, p: Params) -> Any:
        rec = self._bot_message(p)
        if "text" not in rec:
            raise _bad("there is no text in the message to edit")
        content = self._text_content(p)
        inline, _ = self._markup(p, edit=True)
        if (content["text"] == rec["text"] and content.get("entities") == rec.get("entities")
                and inline == _inline_of(rec)):
            raise _bad("message is not modified: specified new message content and reply markup are exactly "
                       "the same as a current content and reply markup of the message")
        rec.pop("entities", None)
        rec.update(content)
        _set_markup(rec, inline)
        rec["edit_date"] = int(self.now())
        return _public(rec)

    async def _m_edit_message_caption(self, p: Params) -> Any:
        rec = self._bot_message(p)
        if "text" in rec:
            raise _bad("there is no caption in the message to edit")
        content = self._caption_content(p)
        inline, _ = self._markup(p, edit=True)
        if (content.get("caption") == rec.get("caption") and inline == _inline_of(rec)
                and content.get("caption_entities") == rec.get("caption_entities")):
            raise _bad("message is not modified: specified new message content and reply markup are exactly "
                       "the same as a current content and reply markup of the message")
        for key in ("caption", "raw_caption", "caption_entities"):
            rec.pop(key, None)
        rec.update(content)
        _set_markup(rec, inline)
        rec["edit_date"] = int(self.now())
        return _public(rec)

    async def _m_edit_message_reply_markup(self, p: Params) -> Any:
        rec = self._bot_message(p)
        inline, _ = self._markup(p, edit=True)
        if inline == _inline_of(rec):
            raise _bad("message is not modified: specified new message content and reply markup are exactly "
                       "the same as a current content and reply markup of the message")
        _set_markup(rec, inline)
        rec["edit_date"] = int(self.now())
        return _public(rec)

    async def _m_delete_message(self, p: Params) -> Any:
        rec = self._bot_message(p, "delete")
        rec["deleted"] = True
        if self._reply_keyboards.get(rec["chat"]["id"]) is rec:
            self._reply_keyboards.pop(rec["chat"]["id"])
        return True

    async def _m_answer_callback_query(self, p: Params) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(p.get("text") or "")) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {k: v for k, v in p.items() if k != "callback_query_id"}
        return True

    def _input_file(self, p: Params, key: str) -> tuple[str, bytes, str | None, str | None]:
        """Resolve an upload, attach:// reference, known file_id or URL -> (file_id, content, name, mime)."""
        value = p.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[9:])
        if isinstance(value, web.FileField):
            content = value.file.read()
            if not content:
                raise _bad("file must be non-empty")
            file_id = f"B{next(self._file_ids):06d}-{key}"
            self.files[file_id] = content
            self._file_meta[file_id] = {"file_unique_id": "ub" + file_id[1:7], "kind": key}
            return file_id, content, value.filename, value.content_type
        if isinstance(value, str) and value in self.files:
            return value, self.files[value], None, None
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id = f"B{next(self._file_ids):06d}-{key}"
            self.files[file_id] = b""
            self._file_meta[file_id] = {"file_unique_id": "ub" + file_id[1:7], "kind": key, "url": value}
            return file_id, b"", value.rsplit("/", 1)[-1], None
        if value is None or value == "":
            raise _bad(f"there is no {key} in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _photo_content(self, p: Params, key: str = "photo") -> dict[str, Any]:
        file_id, content, _, _ = self._input_file(p, key)
        w, h = image_size(content)
        unique = self._file_meta[file_id]["file_unique_id"]
        return {"photo": [{"file_id": file_id, "file_unique_id": unique, "width": w, "height": h,
                           "file_size": len(content)}]}

    def _document_content(self, p: Params, key: str = "document") -> dict[str, Any]:
        file_id, content, name, mime = self._input_file(p, key)
        meta = self._file_meta[file_id]
        name = name or meta.get("file_name") or "document"
        mime = mime if mime and mime != "application/octet-stream" else mimetypes.guess_type(name)[0]
        meta["file_name"] = name
        doc = {"file_id": file_id, "file_unique_id": meta["file_unique_id"], "file_name": name,
               "mime_type": mime or "application/octet-stream", "file_size": len(content)}
        return {"document": doc}

    async def _m_send_photo(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        content = {**self._photo_content(p), **self._caption_content(p)}
        return _public(self._new_message(chat_id, p, content))

    async def _m_send_document(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        content = {**self._document_content(p), **self._caption_content(p)}
        return _public(self._new_message(chat_id, p, content))

    async def _m_send_media_group(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media specified (must be 2-10)")
        group_id = f"mg{next(self._file_ids)}"
        sent = []
        for item in media:
            sub = {**p, "_m": item.get("media"), "caption": item.get("caption"),
                   "parse_mode": item.get("parse_mode"), "reply_markup": None}
            kind = item.get("type")
            if kind == "photo":
                content = self._photo_content(sub, "_m")
            elif kind == "document":
                content = self._document_content(sub, "_m")
            else:
                raise _bad(f"unsupported media type {kind!r} in the stand-in")
            content.update(self._caption_content(sub), media_group_id=group_id)
            sent.append(_public(self._new_message(chat_id, sub, content)))
        return sent

    async def _m_send_chat_action(self, p: Params) -> Any:
        self._known_chat(p)
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @staticmethod
    def _commands_key(p: Params) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + str(p.get("language_code") or "")

    async def _m_set_my_commands(self, p: Params) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_RE.match(str(c.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    async def _m_get_my_commands(self, p: Params) -> Any:
        return self.commands.get(self._commands_key(p), [])

    async def _m_delete_my_commands(self, p: Params) -> Any:
        self.commands.pop(self._commands_key(p), None)
        return True

    async def _m_set_chat_menu_button(self, p: Params) -> Any:
        chat_id = self._known_chat(p) if p.get("chat_id") is not None else None
        self.menu_buttons[chat_id] = p.get("menu_button") or {"type": "default"}
        return True

    async def _m_get_chat_menu_button(self, p: Params) -> Any:
        chat_id = self._known_chat(p) if p.get("chat_id") is not None else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    async def _m_get_file(self, p: Params) -> Any:
        file_id = str(p.get("file_id") or "")
        if file_id not in self.files:
            raise _bad("invalid file_id")
        meta = self._file_meta[file_id]
        ext = {"photo": ".png", "voice": ".oga", "sticker": ".webp"}.get(meta["kind"], "")
        if meta.get("file_name") and "." in meta["file_name"]:
            ext = "." + meta["file_name"].rsplit(".", 1)[1]
        meta.setdefault("file_path", f"{meta['kind']}s/file_{file_id}{ext}")
        return {"file_id": file_id, "file_unique_id": meta["file_unique_id"],
                "file_size": len(self.files[file_id]), "file_path": meta["file_path"]}

    def _source(self, p: Params) -> dict[str, Any]:
        from_chat = self._known_chat(p, "from_chat_id")
        rec = self._messages.get((from_chat, p.get("message_id")))  # type: ignore[arg-type]
        if rec is None or rec.get("deleted"):
            raise _bad("message to copy not found")
        return rec

    async def _m_copy_message(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        src = self._source(p)
        keys = ("text", "raw_text", "entities", "photo", "document", "caption", "raw_caption",
                "caption_entities", "contact", "sticker", "voice")
        content = {k: src[k] for k in keys if k in src}
        if p.get("caption") is not None:
            content.update(self._caption_content(p))
        rec = self._new_message(chat_id, p, content)
        return {"message_id": rec["message_id"]}

    async def _m_forward_message(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        src = self._source(p)
        content = {k: v for k, v in src.items()
                   if k not in ("message_id", "from", "chat", "date", "reply_markup", "_seq", "edit_date",
                                "reply_to_message", "deleted", "reply_keyboard")}
        content["forward_origin"] = {"type": "user", "sender_user": src["from"], "date": src["date"]}
        return _public(self._new_message(chat_id, {}, content))

    async def _m_get_chat(self, p: Params) -> Any:
        chat_id = self._known_chat(p)
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                 "premium_subscription": False}
        return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _m_set_my_description(self, p: Params) -> Any:
        return True

    async def _m_set_my_short_description(self, p: Params) -> Any:
        return True

    async def _m_set_my_name(self, p: Params) -> Any:
        return True


def _public(rec: dict[str, Any]) -> dict[str, Any]:
    """The Bot API view of a message record: bookkeeping removed, reply_markup only if inline (as Telegram)."""
    public = {k: v for k, v in rec.items() if k not in _INTERNAL_KEYS}
    if "reply_markup" in public and "inline_keyboard" not in public["reply_markup"]:
        del public["reply_markup"]
    return public


def _inline_of(rec: dict[str, Any]) -> dict[str, Any] | None:
    markup = rec.get("reply_markup")
    return markup if markup and "inline_keyboard" in markup else None


def _set_markup(rec: dict[str, Any], inline: dict[str, Any] | None) -> None:
    if inline is not None:
        rec["reply_markup"] = inline
    elif _inline_of(rec) is not None:  # an edit cannot take a reply keyboard away
        rec.pop("reply_markup")


def _inline_buttons(rec: dict[str, Any]) -> list[dict[str, Any]]:
    markup = rec.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def _pick(buttons: list[dict[str, Any]], want: str) -> dict[str, Any] | None:
    exact = [b for b in buttons if str(b.get("text", "")).strip().casefold() == want]
    if exact:
        return exact[0]
    partial = [b for b in buttons if want in str(b.get("text", "")).casefold()]
    return partial[0] if partial else None


def _fault_error(fault: _Fault) -> _ApiError:
    if fault.kind == "429":
        return _ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                         {"retry_after": fault.retry_after})
    if fault.kind == "403":
        return _ApiError(403, "Forbidden: bot was blocked by the user")
    if fault.kind == "400":
        return _bad("injected fault")
    return _ApiError(500, "Internal Server Error")
