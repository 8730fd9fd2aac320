"""Message rendering shared by the journeys: pure functions from models to HTML text, given a Translator.

Every piece of user data is escaped here, so handlers can send the result with parse mode HTML as is.
"""

from bot.render.cards import (
    category_text,
    child_line,
    confirmation_card,
    enrolment_card,
    history_text,
    indicator_name,
    measured_values,
    parent_visit_message,
    plausibility_warning,
    position_text,
    result_card,
    sex_text,
    weighing_text,
)

__all__ = [
    "category_text",
    "child_line",
    "confirmation_card",
    "enrolment_card",
    "history_text",
    "indicator_name",
    "measured_values",
    "parent_visit_message",
    "plausibility_warning",
    "position_text",
    "result_card",
    "sex_text",
    "weighing_text",
]
