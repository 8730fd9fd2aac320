"""Catalog maintenance: extract message ids from the code, find untranslated ones, compile .po to .mo.

Hand-written on top of babel's API because our catalogs are split into domains by owner
(`locales/<lang>/LC_MESSAGES/<domain>.po`), which `pybabel update` does not know how to merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import LANGUAGES, LOCALES_DIR

ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "storage")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def _method_map() -> list[tuple[str, str]]:
    """The same extraction map pybabel uses (babel.cfg at the project root)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, _options = parse_mapping_cfg(fh)
    return method_map


def extract() -> Catalog:
    """Every translatable msgid in the code, with where it is used."""
    catalog = Catalog(project="posyandu-bot", msgid_bugs_address="", charset="utf-8")
    for folder in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, _method_map(), keywords=KEYWORDS, strip_comment_tags=True
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def read_catalogs(lang: str) -> dict[str, Catalog]:
    out: dict[str, Catalog] = {}
    for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            out[po.stem] = read_po(fh, locale=lang)
    return out


def _key(message: object) -> str:
    return message[0] if isinstance(message, tuple | list) else str(message)


def missing_translations(lang: str = "id") -> list[tuple[str, list[tuple[str, int]]]]:
    """msgids used in code that no domain of `lang` translates (empty or fuzzy msgstr counts as missing)."""
    translated: set[str] = set()
    for catalog in read_catalogs(lang).values():
        for msg in catalog:
            if not msg.id or msg.fuzzy:
                continue
            strings = msg.string if isinstance(msg.string, tuple | list) else (msg.string,)
            if all(strings):
                translated.add(_key(msg.id))
    missing = []
    for msg in extract():
        if msg.id and _key(msg.id) not in translated:
            missing.append((_key(msg.id), list(msg.locations)))
    return missing


def write_pot(path: Path | None = None) -> Path:
    path = path or LOCALES_DIR / "messages.pot"
    with path.open("wb") as fh:
        write_po(fh, extract(), width=100)
    return path


def update_core_catalogs() -> dict[str, int]:
    """Add msgids that no domain has yet to each language's core `messages.po` (empty msgstr)."""
    added: dict[str, int] = {}
    code_ids = {_key(m.id): m for m in extract() if m.id}
    for lang in LANGUAGES:
        catalogs = read_catalogs(lang)
        known = {_key(m.id) for c in catalogs.values() for m in c if m.id}
        core = catalogs.get("messages") or Catalog(locale=lang, project="posyandu-bot", charset="utf-8")
        count = 0
        for msgid, msg in code_ids.items():
            if msgid not in known:
                core.add(msg.id, "", msg.locations)
                count += 1
        path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, core, width=100)
        added[lang] = count
    return added


def _put(catalog: Catalog, msgid: str | tuple[str, str], msgstr: str | tuple[str, str], *,
         keep: bool = False) -> None:
    """Add the message, or set its translation (`keep`: leave an existing one as it is)."""
    key = msgid[0] if isinstance(msgid, tuple) else msgid
    current = catalog.get(key)
    if current is None:
        catalog.add(msgid, msgstr)
    elif not keep:
        current.id = msgid
        current.string = msgstr
        current.flags.discard("fuzzy")


def add_translations(domain: str, pairs: Iterable[tuple[str | list[str], str]]) -> int:
    """Put Indonesian translations into one owner's catalogs (`locales/id/.../<domain>.po`), and the msgids into
    the English one of the same domain (English shows the msgid itself). `pairs`: (msgid, msgstr), or
    ([singular, plural], msgstr): Indonesian nouns do not inflect for number, so both forms get the msgstr."""
    catalogs = {}
    for lang in ("id", "en"):
        path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with path.open("rb") as fh:
                catalogs[lang] = read_po(fh, locale=lang)
        else:
            catalogs[lang] = Catalog(locale=lang, project="posyandu-bot", charset="utf-8")
    count = 0
    for msgid, msgstr in pairs:
        if isinstance(msgid, list):
            plural = (msgid[0], msgid[1])
            _put(catalogs["id"], plural, (msgstr, msgstr))
            _put(catalogs["en"], plural, ("", ""), keep=True)
        else:
            _put(catalogs["id"], msgid, msgstr)
            _put(catalogs["en"], msgid, "", keep=True)
        count += 1
    for lang, catalog in catalogs.items():
        path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=120)
    return count


def compile_all(langs: Iterable[str] = LANGUAGES) -> list[Path]:
    written = []
    for lang in langs:
        for po in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            mo = po.with_suffix(".mo")
            with mo.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            written.append(mo)
    return written
