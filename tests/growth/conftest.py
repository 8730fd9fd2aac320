"""Shared fixtures for the growth engine tests: translators built from our own catalogs."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


class CatalogTranslator:
    """Minimal translator over a .po file (the lead's bot.i18n.Translator has the same two methods)."""

    def __init__(self, po_path: Path) -> None:
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        self.singular: dict[str, str] = {}
        self.plural: dict[str, list[str]] = {}
        for msg in catalog:
            if not msg.id:
                continue
            if isinstance(msg.id, tuple):
                if msg.string and all(msg.string):
                    self.plural[msg.id[0]] = list(msg.string)
            elif msg.string:
                self.singular[msg.id] = msg.string

    def gettext(self, message: str) -> str:
        return self.singular.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plural.get(singular)
        if forms:
            return forms[0]  # Indonesian has one plural form
        return singular if n == 1 else plural


@pytest.fixture(scope="session")
def tr_id() -> CatalogTranslator:
    return CatalogTranslator(ROOT / "locales" / "id" / "LC_MESSAGES" / "growth.po")


@pytest.fixture(scope="session")
def tr_en() -> gettext.NullTranslations:
    return gettext.NullTranslations()
