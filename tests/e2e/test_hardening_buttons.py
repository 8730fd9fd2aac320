"""Every button press is answered exactly once and a no-op is a no-op (issue 19, item 5): the option already
ticked, a double tap on a picker, "move a date" with nothing scheduled, old buttons of ex-staff, the page
already shown. None may end in "something went wrong" or a Bot API 400. A BadRequest is logged with its
traceback (it is our mistake, not the network's)."""

from __future__ import annotations

import logging

import pytest

from bot.demo import CADRE_ID, COORDINATOR_ID
from bot.sim.fake_api import FakeBotAPI
from tests.e2e.hardening_support import Personas, seed_personas, texts_to, violations
from tests.e2e.harness import BotHarness

SORRY = "Maaf, terjadi kesalahan"


@pytest.fixture
async def people(bot: BotHarness, api: FakeBotAPI) -> Personas:
    return await seed_personas(bot, api)


def _clean_since(api: FakeBotAPI, mark: int, chat: int) -> None:
    assert violations(api, mark) == []
    assert api.unanswered_callback_queries() == []
    assert not [t for t in texts_to(api, chat, mark) if SORRY in t]


async def _to_length_step(bot: BotHarness, people: Personas) -> None:
    await bot.say(CADRE_ID, f"/ukur {people.demo.child_codes['Budi']}")
    await bot.press(CADRE_ID, "Hari ini")
    await bot.say(CADRE_ID, "10,9")


async def test_pressing_the_option_already_ticked_changes_nothing(bot: BotHarness, api: FakeBotAPI,
                                                                  people: Personas) -> None:
    await _to_length_step(bot, people)
    ticked = next(label for label in api.labels(CADRE_ID) if label.startswith("✓"))
    mark = len(api.calls)
    await bot.press(CADRE_ID, ticked)
    await bot.press(CADRE_ID, ticked)
    _clean_since(api, mark, CADRE_ID)
    assert not [c for c in api.calls[mark:] if c.method == "editMessageText"]  # nothing to change: not sent
    assert [c.method for c in api.calls[mark:]] == ["answerCallbackQuery", "answerCallbackQuery"]


async def test_a_double_tap_on_a_picker_answers_both_taps_once(bot: BotHarness, api: FakeBotAPI,
                                                               people: Personas) -> None:
    await bot.say(COORDINATOR_ID, "/undang kader")
    picker = api.last_message(COORDINATOR_ID)
    data = next(b["callback_data"] for row in picker["reply_markup"]["inline_keyboard"] for b in row
                if "callback_data" in b)
    mark = len(api.calls)
    api.press_button(COORDINATOR_ID, picker["message_id"], data)
    api.press_button(COORDINATOR_ID, picker["message_id"], data)
    await bot._settle(10)
    _clean_since(api, mark, COORDINATOR_ID)
    answers = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert len(answers) == 2 and len({c.params["callback_query_id"] for c in answers}) == 2


async def test_a_double_tap_on_the_language_picker(bot: BotHarness, api: FakeBotAPI, people: Personas) -> None:
    await bot.say(CADRE_ID, "/bahasa")
    picker = api.last_message(CADRE_ID)
    mark = len(api.calls)
    api.press_button(CADRE_ID, picker["message_id"], "lang:en")
    api.press_button(CADRE_ID, picker["message_id"], "lang:en")
    await bot._settle(10)
    _clean_since(api, mark, CADRE_ID)
    assert "English" in bot.last_text(CADRE_ID)


async def test_move_a_date_with_nothing_scheduled_says_so_every_time(bot: BotHarness, api: FakeBotAPI,
                                                                     people: Personas) -> None:
    for pid in people.demo.posyandu_ids:
        await bot.runtime.repos.posyandu.set_schedule_rule(pid, None)
    await bot.say(CADRE_ID, "/jadwal")
    mark = len(api.calls)
    await bot.press(CADRE_ID, "Pindah atau batalkan")
    assert "Tidak ada jadwal mendatang" in bot.last_text(CADRE_ID)
    await bot.press(CADRE_ID, "Pindah atau batalkan")
    await bot.press(CADRE_ID, "Pindah atau batalkan")
    _clean_since(api, mark, CADRE_ID)


async def test_old_buttons_pressed_by_ex_staff_are_answered_once(bot: BotHarness, api: FakeBotAPI,
                                                                 people: Personas) -> None:
    await bot.say(CADRE_ID, f"/catat {people.demo.child_codes['Budi']} 10,9 81")  # the result card and its buttons
    card = api.last_message(CADRE_ID)
    await bot.say(CADRE_ID, f"/riwayat {people.demo.child_codes['Rina']}")
    history = api.last_message(CADRE_ID)
    await bot.runtime.repos.users.set_role(CADRE_ID, None)
    mark = len(api.calls)
    pressed = [(m["message_id"], b["callback_data"]) for m in (card, history)
               for row in m["reply_markup"]["inline_keyboard"] for b in row]
    for message_id, data in pressed:
        api.press_button(CADRE_ID, message_id, data)
        await bot._settle(10)
    _clean_since(api, mark, CADRE_ID)
    answers = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    # the card: chart, fix, services, next; the history: three
    assert len(answers) == len({c.params["callback_query_id"] for c in answers}) == len(pressed) == 7
    assert "untuk kader posyandu" in "\n".join(texts_to(api, CADRE_ID, mark))


async def test_pressing_the_page_already_shown_is_a_no_op(bot: BotHarness, api: FakeBotAPI,
                                                          people: Personas) -> None:
    await bot.say(CADRE_ID, "/daftar")
    mark = len(api.calls)
    await bot.press(CADRE_ID, "1/")
    await bot.press(CADRE_ID, "1/")
    _clean_since(api, mark, CADRE_ID)
    assert [c.method for c in api.calls[mark:]] == ["answerCallbackQuery", "answerCallbackQuery"]


async def test_a_bad_request_is_logged_with_its_traceback(bot: BotHarness, api: FakeBotAPI, people: Personas,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    api.inject("sendMessage", "400", chat_id=CADRE_ID)
    with caplog.at_level(logging.WARNING):
        await bot.say(CADRE_ID, "/help")
    errors = [r for r in caplog.records if r.name == "handlers.errors"]
    assert errors and errors[0].levelno == logging.ERROR
    assert errors[0].exc_info is not None and "BadRequest" in (errors[0].exc_text or "")
    assert not [r for r in caplog.records if "transient" in r.getMessage()]
    assert SORRY in bot.last_text(CADRE_ID)  # the user still gets an answer
