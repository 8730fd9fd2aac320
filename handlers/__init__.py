"""Registers every handler module on the Application, in an order that matters (see comments).

Journey modules in this package are discovered: each defines `register(app)` and may set `ORDER`
(lower registers first; default 50). Conversations that own free text must come before modules that
answer any free text (the parent's questions, ORDER 90).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

from handlers import common, errors

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

_NOT_JOURNEYS = {"common", "errors"}


def journey_modules() -> list[ModuleType]:
    modules: list[ModuleType] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _NOT_JOURNEYS:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def register_all(app: PosyanduApplication) -> None:
    errors.register(app)
    # /start, /help, /bahasa come first so they work even in the middle of a conversation.
    common.register_commands(app)
    for module in journey_modules():
        module.register(app)
    # The catch-alls (unknown command, free text, stickers) go last in group 0: PTB runs at most one
    # handler per group, so anything a journey claims never reaches them.
    common.register_fallbacks(app)
