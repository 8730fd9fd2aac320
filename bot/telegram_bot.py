"""The bot object every handler and job uses: PTB's ExtBot, plus two rules the Bot API enforces with a 400.

1. A callback query is answered exactly once. Telegram refuses a second answer ("query is too old ... or
   query ID is invalid"), and a handler that answered in the background and then refused a stale button
   answered twice; the second one ended in "something went wrong". Here the first answer wins and later ones
   are dropped (debug log). The Application answers any query its handlers left unanswered
   (bot/app.py), so no spinner keeps turning.
2. An edit that changes nothing is not sent. Telegram refuses it ("message is not modified"): pressing the
   option that is already ticked, a double tap on a picker, the page that is already shown. The content
   this process last put in each message is remembered (a fingerprint, not the text) and an identical edit
   returns at once; if a message was changed elsewhere (another process, before a restart) Telegram's
   refusal is taken as the same no-op.

Both sit in `_do_post`, where every Bot API call passes with its endpoint and parameters after PTB has
filled in the defaults (so a fingerprint sees the parse mode that is really sent).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

from telegram import TelegramObject
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import BadRequest
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # messages and queries remembered (a few MB at most; older ones fall back to Telegram)
_EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})
_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_TEXT_KEYS = ("text", "caption", "parse_mode", "entities", "caption_entities", "link_preview_options",
              "show_caption_above_media")


def _plain(value: Any) -> Any:
    if isinstance(value, TelegramObject):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _fingerprint(data: JSONDict, keys: tuple[str, ...]) -> str:
    return json.dumps({k: _plain(data.get(k)) for k in keys}, sort_keys=True, default=str)


def _message_key(data: JSONDict, result: Any = None) -> str | None:
    if data.get("inline_message_id"):
        return f"inline:{data['inline_message_id']}"
    chat, message = data.get("chat_id"), data.get("message_id")
    if isinstance(result, dict):
        chat = (result.get("chat") or {}).get("id", chat)
        message = result.get("message_id", message)
    return None if chat is None or message is None else f"{chat}:{message}"


class _Recent(OrderedDict[str, Any]):
    """A dict that forgets its oldest entries beyond `REMEMBERED`."""

    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > REMEMBERED:
            self.popitem(last=False)


class PosyanduBot(ExtBot[None]):
    __slots__ = ("_answered", "_shown")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self._answered = _Recent()  # callback query id -> True
            self._shown = _Recent()  # "chat:message" -> (text fingerprint | None, markup fingerprint)

    def was_answered(self, callback_query_id: str) -> bool:
        return callback_query_id in self._answered

    async def _do_post(
        self,
        endpoint: str,
        data: JSONDict,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> bool | JSONDict | list[JSONDict]:
        timeouts = {"read_timeout": read_timeout, "write_timeout": write_timeout,
                    "connect_timeout": connect_timeout, "pool_timeout": pool_timeout}
        if endpoint == "answerCallbackQuery":
            return await self._answer_once(data, timeouts)
        if endpoint in _EDITS:
            return await self._edit_unless_same(endpoint, data, timeouts)
        result = await super()._do_post(endpoint, data, **timeouts)
        if endpoint in _SENDS and (key := _message_key(data, result)) is not None:
            self._shown.remember(key, (_fingerprint(data, _TEXT_KEYS), _fingerprint(data, ("reply_markup",))))
        return result

    async def _answer_once(self, data: JSONDict, timeouts: dict[str, Any]) -> bool | JSONDict | list[JSONDict]:
        query_id = str(data.get("callback_query_id"))
        if query_id in self._answered:
            # Claimed before the await below, so two answers started side by side still send one.
            log.debug("callback query %s already answered; the second answer is dropped", query_id)
            return True
        self._answered.remember(query_id, True)
        try:
            return await super()._do_post("answerCallbackQuery", data, **timeouts)
        except BadRequest as exc:
            if "query is too old" not in exc.message.lower():
                raise
            # The button was pressed long ago (or the bot was busy for > 15 s): nothing left to stop.
            log.info("callback query %s expired before it was answered", query_id)
            return False

    async def _edit_unless_same(self, endpoint: str, data: JSONDict,
                                timeouts: dict[str, Any]) -> bool | JSONDict | list[JSONDict]:
        key = _message_key(data)
        markup = _fingerprint(data, ("reply_markup",))
        text = None if endpoint == "editMessageReplyMarkup" else _fingerprint(data, _TEXT_KEYS)
        shown = self._shown.get(key) if key is not None else None
        if shown is not None and shown[1] == markup and (text is None or shown[0] == text):
            log.debug("%s changes nothing; not sent", endpoint)
            return True
        try:
            result = await super()._do_post(endpoint, data, **timeouts)
        except BadRequest as exc:
            if "message is not modified" not in exc.message.lower():
                raise
            log.debug("%s changed nothing (the message was edited elsewhere before)", endpoint)
            result = True
        if key is not None:
            self._shown.remember(key, (text if text is not None else (shown[0] if shown else None), markup))
        return result


__all__ = ["PosyanduBot"]
