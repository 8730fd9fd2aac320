"""`run` (Telegram, or the offline simulator when no token is set) and `simulate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from bot.i18n import get_translator
    from bot.runner import webhook_problem

    settings = args.settings
    if args.webhook and (problem := webhook_problem(settings)) is not None:
        # One line naming the variable, before anything is opened (no traceback, no half-started bot).
        print(get_translator("id").gettext(problem), file=sys.stderr)
        return 2
    if settings.token is None:
        print("TELEGRAM_BOT_TOKEN belum diisi: menjalankan simulator offline dengan data demo "
              "(TELEGRAM_BOT_TOKEN is not set: starting the offline simulator with demo data).")
        return _simulate(argparse.Namespace(settings=settings, script=None))
    from bot.runner import run_bot

    asyncio.run(run_bot(settings, webhook=args.webhook))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from bot.demo_sim import run_simulation

    if "LOG_LEVEL" not in os.environ:
        # The terminal is the chat window: only warnings and errors should interrupt it.
        logging.getLogger().setLevel(logging.WARNING)

    script: Path | None = args.script
    if script is not None and not script.exists():
        print(f"Script not found: {script}", file=sys.stderr)
        return 2
    return asyncio.run(run_simulation(args.settings, script=script, out=sys.stdout, inp=sys.stdin))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the bot (Telegram if TELEGRAM_BOT_TOKEN is set, else the simulator)")
    p.add_argument("--webhook", action="store_true",
                   help="webhook mode (needs WEBHOOK_URL and WEBHOOK_SECRET) instead of polling")
    p.set_defaults(func=_run)
    s = sub.add_parser("simulate", help="chat with the bot offline in this terminal, with demo data")
    s.add_argument("--script", type=Path, help="replay lines such as 'kader: /ukur' and print every reply")
    s.set_defaults(func=_simulate)
