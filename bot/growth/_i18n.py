"""gettext plumbing for bot.growth: the `N_` marker and the translator protocol the lead's `bot.i18n` satisfies."""

from __future__ import annotations

from typing import Protocol


def N_(s: str) -> str:
    """Mark a module-level msgid for extraction; it is translated later with `tr.gettext(CONST)`."""
    return s


class Translator(Protocol):
    """What bot.growth needs from a translator (`gettext.NullTranslations` and `bot.i18n.Translator` fit)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...
