"""`i18n extract|update|compile|check`: keep the gettext catalogs in step with the code."""

from __future__ import annotations

import argparse


def _i18n(args: argparse.Namespace) -> int:
    from bot import i18n_tools

    if args.action == "extract":
        print(i18n_tools.write_pot())
    elif args.action == "update":
        for lang, n in i18n_tools.update_core_catalogs().items():
            print(f"{lang}: {n} new msgid(s) added to messages.po")
    elif args.action == "add":
        if not args.domain or not args.file:
            print("i18n add DOMAIN FILE.json: a JSON list of [msgid, msgstr] pairs")
            return 2
        import json
        from pathlib import Path

        pairs = json.loads(Path(args.file).read_text(encoding="utf-8"))
        print(f"{args.domain}: {i18n_tools.add_translations(args.domain, pairs)} message(s)")
    elif args.action == "compile":
        print(f"compiled {len(i18n_tools.compile_all())} catalog(s)")
    else:
        missing = i18n_tools.missing_translations("id")
        for msgid, locations in missing:
            where = ", ".join(f"{f}:{n}" for f, n in locations[:2])
            print(f"{where}: {msgid!r}")
        print(f"{len(missing)} msgid(s) without an Indonesian translation")
        return 1 if missing else 0
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("i18n", help="extract, update, compile or check the translation catalogs; add translations")
    p.add_argument("action", choices=["extract", "update", "compile", "check", "add"])
    p.add_argument("domain", nargs="?", help="add: the owner's catalog (cadre, parent, growth, ...)")
    p.add_argument("file", nargs="?", help="add: a JSON list of [msgid, msgstr] pairs ([[singular, plural], msgstr])")
    p.set_defaults(func=_i18n)
