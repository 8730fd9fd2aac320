"""The Bot API stand-in, exercised with real python-telegram-bot objects over HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, MessageHandler, filters

from bot.sim.fake_api import FakeBotAPI, parse_html, tiny_png
from tests.sim.conftest import build_echo_app

USER = 1001


# --- basics ---------------------------------------------------------------------------------------------------


async def test_get_me_returns_the_bot_user(bot: Bot, api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.username == "posyandu_test_bot"
    assert me.id == 123456
    assert me.is_bot


async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass


async def test_unknown_method_is_404(bot: Bot, api: FakeBotAPI) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    assert api.calls[-1].error == {"error_code": 404, "description": "Not Found: method not found"}


async def test_message_to_a_chat_that_never_started_the_bot_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "halo")


# --- polling round trips --------------------------------------------------------------------------------------


async def test_text_round_trip_through_polling(api: FakeBotAPI, echo_app: Application) -> None:
    api.user(USER, "Sari")
    api.send_message(USER, "timbang")
    [reply] = await api.wait_for_messages(USER, 1)
    assert reply["text"] == "Kamu bilang: timbang"
    assert reply["raw_text"] == "Kamu bilang: <b>timbang</b>"
    assert reply["entities"] == [{"type": "bold", "offset": 13, "length": 7}]


async def test_command_gets_a_bot_command_entity(api: FakeBotAPI, echo_app: Application) -> None:
    api.send_message(USER, "/start")
    await api.wait_idle(update_queue=echo_app.update_queue)
    assert api.last_message(USER)["text"] == "Halo!"


async def test_pressing_a_button_sends_a_callback_query_and_the_edit_is_visible(
    api: FakeBotAPI, echo_app: Application
) -> None:
    api.send_message(USER, "halo")
    [msg] = await api.wait_for_messages(USER, 1)
    api.press(USER, "ulang")  # case-insensitive substring of "🔁 Ulang"
    await api.wait_idle(update_queue=echo_app.update_queue)
    assert api.last_message(USER)["message_id"] == msg["message_id"]
    assert api.last_message(USER)["text"] == "Ditekan: again"
    assert "reply_markup" not in api.last_message(USER)
    assert api.unanswered_callback_queries() == []
    assert next(iter(api.callback_answers.values())) == {"text": "oke"}


async def test_press_button_checks_the_button_exists(api: FakeBotAPI, echo_app: Application) -> None:
    api.send_message(USER, "halo")
    [msg] = await api.wait_for_messages(USER, 1)
    with pytest.raises(LookupError, match="again"):
        api.press_button(USER, msg["message_id"], "nope")
    with pytest.raises(LookupError, match="Selesai"):
        api.press(USER, "Grafik")


async def test_wait_idle_times_out_with_a_dump_when_nobody_polls(api: FakeBotAPI) -> None:
    api.send_message(USER, "halo")
    with pytest.raises(TimeoutError, match="pending updates: 1"):
        await api.wait_idle(timeout=0.3)


async def test_many_updates_are_all_answered(api: FakeBotAPI, echo_app: Application) -> None:
    for i in range(200):
        api.send_message(USER + i % 5, f"pesan {i}")
    started = time.monotonic()
    await api.wait_idle(timeout=20, update_queue=echo_app.update_queue)
    assert len(api.messages()) == 200
    assert time.monotonic() - started < 10


# --- sending and editing --------------------------------------------------------------------------------------


async def test_editing_with_identical_content_is_not_modified(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    msg = await bot.send_message(USER, "sama")
    await bot.edit_message_text("beda", chat_id=USER, message_id=msg.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("beda", chat_id=USER, message_id=msg.message_id)
    assert api.last_message(USER)["text"] == "beda"


async def test_editing_an_unknown_message_is_not_found(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=77)


async def test_reply_markup_edit_and_delete(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    msg = await bot.send_message(USER, "pilih", reply_markup=markup)
    assert msg.reply_markup == markup
    await bot.edit_message_reply_markup(chat_id=USER, message_id=msg.message_id, reply_markup=None)
    assert "reply_markup" not in api.last_message(USER)
    await bot.delete_message(USER, msg.message_id)
    assert api.messages(USER) == []


async def test_photo_upload_is_recorded_in_files(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    png = tiny_png(30, 20)
    msg = await bot.send_photo(USER, png, caption="<i>Grafik</i> BB/U", parse_mode="HTML")
    assert msg.photo[-1].width == 30 and msg.photo[-1].height == 20
    assert api.files[msg.photo[-1].file_id] == png
    assert api.last_message(USER)["caption"] == "Grafik BB/U"


async def test_document_upload_keeps_name_and_mime(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    msg = await bot.send_document(USER, b"PK\x03\x04data", filename="rekap.xlsx")
    assert msg.document is not None and msg.document.file_name == "rekap.xlsx"
    assert msg.document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert api.files[msg.document.file_id] == b"PK\x03\x04data"


async def test_bot_can_download_a_document_the_user_sent(bot: Bot, api: FakeBotAPI) -> None:
    api.send_document(USER, "anak.csv", b"nama;tgl\nBudi;2023-01-02\n")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"nama;tgl\nBudi;2023-01-02\n"


async def test_bot_can_download_a_photo_the_user_sent(bot: Bot, api: FakeBotAPI) -> None:
    api.send_photo(USER)
    [update] = await bot.get_updates()
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray())[:4] == b"\x89PNG"


async def test_reply_keyboard_contact_button_shares_the_users_contact(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER, "Sari")
    api.phone_numbers[USER] = "+6281234567890"
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("📱 Kirim nomor HP", request_contact=True)]],
                                   one_time_keyboard=True)
    msg = await bot.send_message(USER, "Bagikan nomor Anda", reply_markup=keyboard)
    assert msg.reply_markup is None  # Telegram only echoes inline keyboards
    assert api.last_message(USER)["reply_markup"]["keyboard"][0][0]["text"] == "📱 Kirim nomor HP"
    api.press(USER, "nomor hp")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.contact is not None
    assert update.message.contact.phone_number == "+6281234567890"
    assert update.message.contact.user_id == USER


async def test_commands_round_trip(bot: Bot) -> None:
    await bot.set_my_commands([("ukur", "Catat pengukuran")], language_code="id")
    assert [c.command for c in await bot.get_my_commands(language_code="id")] == ["ukur"]
    assert await bot.get_my_commands() == ()


# --- validation like the real server --------------------------------------------------------------------------


async def test_text_over_4096_characters_is_too_long(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    await bot.send_message(USER, "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "a" * 4097)


async def test_length_is_counted_after_entity_parsing(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")


async def test_empty_text_is_rejected(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_invalid(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(USER, "ok", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "no", reply_markup=too_long)


async def test_callback_data_limit_is_in_bytes(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="é" * 33)]])  # 66 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "no", reply_markup=markup)


@pytest.mark.parametrize("html", ["<br>", "a <p>b</p>", "<b>tebal", "<b><i>x</b></i>", "1 < 2", "</b>",
                                  '<span class="x">s</span>'])
async def test_bad_html_cannot_be_parsed(bot: Bot, api: FakeBotAPI, html: str) -> None:
    api.user(USER)
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(USER, html, parse_mode="HTML")


def test_html_is_stripped_and_entities_computed() -> None:
    text, entities = parse_html('<b>BB</b> 10,5 kg &lt; <a href="https://x.id">lihat</a> &amp; 👶<i>ok</i>')
    assert text == "BB 10,5 kg < lihat & 👶ok"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "url": "https://x.id", "offset": 13, "length": 5},
        {"type": "italic", "offset": 23, "length": 2},  # the emoji is 2 UTF-16 units
    ]


def test_pre_with_language_and_spoiler() -> None:
    text, entities = parse_html('<pre><code class="language-python">x=1</code></pre><tg-spoiler>s</tg-spoiler>')
    assert text == "x=1s"
    assert {"type": "pre", "language": "python", "offset": 0, "length": 3} in entities
    assert {"type": "spoiler", "offset": 3, "length": 1} in entities


# --- faults ---------------------------------------------------------------------------------------------------


async def test_injected_429_is_seen_as_retry_after(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.inject("sendMessage", "429", retry_after=3)
    with pytest.raises(RetryAfter, match="3"):
        await bot.send_message(USER, "halo")
    await bot.send_message(USER, "halo")  # only once
    sends = [c for c in api.calls if c.method == "sendMessage"]
    assert [c.error["error_code"] if c.error else 200 for c in sends] == [429, 200]


async def test_rate_limiter_waits_out_a_429(api: FakeBotAPI) -> None:
    api.user(USER)
    api.inject("sendMessage", "429", retry_after=1)
    app = (ApplicationBuilder().token(api.token).base_url(api.base_url)
           .rate_limiter(AIORateLimiter(max_retries=2)).build())
    async with app:
        started = time.monotonic()
        await app.bot.send_message(USER, "halo")
        assert time.monotonic() - started >= 1.0
    assert [m["text"] for m in api.messages(USER)] == ["halo"]


async def test_wait_idle_waits_through_a_retry_after_pause(api: FakeBotAPI) -> None:
    api.inject("sendMessage", "429", retry_after=1)
    app = (ApplicationBuilder().token(api.token).base_url(api.base_url)
           .rate_limiter(AIORateLimiter(max_retries=2)).build())

    async def echo(update: object, context: object) -> None:
        await app.bot.send_message(USER, "balas")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.send_message(USER, "halo")
        await api.wait_idle(timeout=5)
        assert [m["text"] for m in api.messages(USER)] == ["balas"]
        await app.updater.stop()
        await app.stop()


async def test_blocked_user_gives_forbidden(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.block_user(USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "halo")
    api.unblock_user(USER)
    await bot.send_message(USER, "halo")


async def test_injected_403_only_hits_the_given_chat(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.user(USER + 1)
    api.inject("sendMessage", "403", chat_id=USER + 1)
    await bot.send_message(USER, "a")
    with pytest.raises(Forbidden):
        await bot.send_message(USER + 1, "b")


async def test_500_and_dropped_connections_are_network_errors(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.inject("sendMessage", "500")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER, "a")
    api.inject("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "a")
    assert api.messages(USER) == []
    api.inject("sendMessage", "drop_after")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "a")
    assert [m["text"] for m in api.messages(USER)] == ["a"]  # delivered, but the bot could not know


async def test_overall_rate_limit_answers_429(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.rate_limit_per_second = 3
    for _ in range(3):
        await bot.send_message(USER, "a")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "a")


async def test_per_chat_limit_answers_429_for_that_chat_only(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    api.user(USER + 1)
    api.per_chat_limit = 1
    await bot.send_message(USER, "a")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "b")
    await bot.send_message(USER + 1, "c")


# --- restarts and webhooks ------------------------------------------------------------------------------------


async def test_updates_queued_while_the_bot_is_down_wait_for_the_next_poller(api: FakeBotAPI) -> None:
    first = build_echo_app(api.base_url, api.base_file_url)
    async with first:
        await first.start()
        assert first.updater is not None
        await first.updater.start_polling(poll_interval=0, timeout=1)
        await first.updater.stop()
        await first.stop()
    api.send_message(USER, "halo")  # the stopped app's long poll may still be open on the server side
    with pytest.raises(TimeoutError):
        await api.wait_idle(timeout=0.5)
    second = build_echo_app(api.base_url, api.base_file_url)
    async with second:
        await second.start()
        assert second.updater is not None
        await second.updater.start_polling(poll_interval=0, timeout=1)
        await api.wait_idle(update_queue=second.update_queue)
        assert [m["text"] for m in api.messages(USER)] == ["Kamu bilang: halo"]
        await second.updater.stop()
        await second.stop()


async def test_webhook_mode_receives_updates_by_post(api: FakeBotAPI, unused_tcp_port: int) -> None:
    app = build_echo_app(api.base_url, api.base_file_url)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                        webhook_url=f"http://127.0.0.1:{unused_tcp_port}/hook",
                                        secret_token="rahasia")
        assert api.webhook["url"].endswith("/hook")
        api.send_message(USER, "lewat webhook")
        await api.wait_idle(update_queue=app.update_queue)
        assert api.last_message(USER)["text"] == "Kamu bilang: lewat webhook"
        await app.updater.stop()
        await app.stop()


# --- less common methods ----------------------------------------------------------------------------------------


async def test_caption_edit_and_media_group(bot: Bot, api: FakeBotAPI) -> None:
    api.user(USER)
    msg = await bot.send_photo(USER, tiny_png(), caption="lama")
    with pytest.raises(BadRequest, match=r"(?i)no text in the message"):
        await bot.edit_message_text("x", chat_id=USER, message_id=msg.message_id)
    await bot.edit_message_caption(chat_id=USER, message_id=msg.message_id, caption="baru")
    assert api.last_message(USER)["caption"] == "baru"
    sent = await bot.send_media_group(USER, [InputMediaPhoto(tiny_png()), InputMediaPhoto(tiny_png(8, 8))])
    assert len(sent) == 2 and sent[1].photo[-1].width == 8
    assert sent[0].media_group_id == sent[1].media_group_id


async def test_json_bodies_are_accepted(api: FakeBotAPI) -> None:
    api.user(USER)
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{api.base_url}{api.token}/sendMessage", json={"chat_id": USER, "text": "json"})
    assert r.json()["ok"] is True
    assert r.json()["result"]["text"] == "json"
    assert api.calls[-1].params == {"chat_id": USER, "text": "json"}
