"""The bot's own web server (aiohttp): the dashboard Mini App and, in webhook mode, Telegram's webhook on the same port.

PTB 22's webhook server is tornado-based; serving the webhook route here instead keeps one port for both (what
platforms with a single PORT give the `web` process). The webhook route does what PTB's does: only JSON, only
with the secret header (compared in constant time), the update into the application's queue.

Every dashboard API request carries Telegram's initData (`Authorization: tma <initData>`); the middleware checks
its signature and age (bot/webapp/initdata.py), resolves the caller's scope from our own tables, and refuses
anything else with 401/403, logging the reason and ids only.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.config import Settings
from bot.services import dashboard_counts as dc
from bot.services.dashboard import DashboardError
from bot.webapp import api, initdata
from bot.webapp.context import CALLER, CTX, WebContext
from bot.webapp.menu import set_menu_buttons

if TYPE_CHECKING:
    from bot.app import PosyanduApplication

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
# The page loads nothing from elsewhere; Telegram Web shows it in a frame, so framing is not forbidden.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def url_path(url: str | None) -> str:
    """The path part of a public URL without the trailing slash ("" for the root)."""
    return urlsplit(url).path.rstrip("/") if url else ""


def _refuse(status: int, reason: str, request: web.Request, user_id: int | None = None) -> web.Response:
    # Ids and a reason code only: never the initData, a name, or the query string.
    log.warning("dashboard: refused %s %s: %s %s (user %s)", request.method, request.path, status, reason, user_id)
    response = web.json_response({"error": reason}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def make_auth_middleware(prefix: str) -> Middleware:
    api_prefix = prefix + "/api/"
    public = {prefix + p for p in api.PUBLIC}

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(api_prefix) and path not in public:
            ctx = request.app[CTX]
            header = request.headers.get("Authorization", "")
            scheme, _, raw = header.partition(" ")
            try:
                if scheme.lower() != "tma":
                    raise initdata.InitDataError("missing")
                user = initdata.validate(raw.strip(), ctx.bot_token, now=ctx.now(), max_age_seconds=ctx.max_age)
            except initdata.InitDataError as exc:
                return _refuse(401, exc.reason, request)
            try:
                request[CALLER] = await ctx.caller_for(user.id, request.query.get("lang"), user.language_code)
            except DashboardError as exc:
                return _refuse(exc.status, exc.reason, request, user.id)
        try:
            return await handler(request)
        except DashboardError as exc:
            caller = request.get(CALLER)
            return _refuse(exc.status, exc.reason, request, caller.user_id if caller else None)

    return auth


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _page(name: str, content_type: str) -> Handler:
    body = (STATIC / name).read_bytes()

    async def serve(request: web.Request) -> web.StreamResponse:
        response = web.Response(body=body, content_type=content_type, charset="utf-8",
                                headers={"Cache-Control": "no-cache"})
        response.enable_compression()
        return response

    return serve


def _webhook(ptb: PosyanduApplication, secret: str) -> Handler:
    async def receive(request: web.Request) -> web.Response:
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if request.content_type != "application/json" or not hmac.compare_digest(token.encode(), secret.encode()):
            log.info("webhook: refused a request without the secret or JSON")
            return web.Response(status=403)
        try:
            payload = await request.json()
            update = Update.de_json(payload, ptb.bot)
        except Exception:  # as PTB: a body that is no update is refused, never processed
            log.warning("webhook: a body that is not an update was refused")
            return web.Response(status=400)
        if update is not None and ptb.inbox is not None:
            # Several workers: stored for the worker that owns its shard (answered 200 once it is stored).
            await ptb.inbox.receive(payload, update)
        elif update is not None:
            ptb.bot.insert_callback_data(update)
            await ptb.update_queue.put(update)
        return web.Response(status=200)

    return receive


def make_web_app(ptb: PosyanduApplication, settings: Settings, *, webhook: bool = False,
                 dashboard: bool = True) -> web.Application:
    """The aiohttp application: the webhook route (webhook mode) and the dashboard under DASHBOARD_URL's path."""
    prefix = url_path(settings.dashboard_url)
    app = web.Application(middlewares=[security_headers, make_auth_middleware(prefix)],  # type: ignore[list-item]
                          client_max_size=api.MAX_BODY)
    app[CTX] = WebContext(runtime=ptb.runtime, bot_token=ptb.bot.token)
    if webhook:
        assert settings.webhook_url and settings.webhook_secret is not None
        app.router.add_post(url_path(settings.webhook_url) or "/",
                            _webhook(ptb, settings.webhook_secret.get_secret_value()))
    if dashboard:
        index = _page("index.html", "text/html")
        app.router.add_get(prefix + "/", index)
        if prefix:
            app.router.add_get(prefix, _redirect(prefix + "/"))
        for name, content_type in STATIC_FILES.items():
            app.router.add_get(f"{prefix}/static/{name}", _page(name, content_type))
        api.add_routes(app.router, prefix)
    return app


def _redirect(location: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return redirect


class WebServer:
    """An aiohttp server on one address; `port` is the one bound (tests ask for port 0)."""

    def __init__(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None)  # access lines would carry the query string
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def stop(self) -> None:
        await self._runner.cleanup()


async def warm_up(ptb: PosyanduApplication) -> None:
    """In the background after start: the menu buttons, and the month counts the overview reads first."""
    try:
        await set_menu_buttons(ptb)
        repos = ptb.runtime.repos
        pids = [p.id for p in await repos.posyandu.list_all()]
        await dc.fill(repos, pids, ptb.runtime.today())
    except Exception:  # the dashboard still answers; it counts what it needs when asked
        log.exception("dashboard warm-up failed")


async def start_web(ptb: PosyanduApplication, settings: Settings, *, webhook: bool) -> WebServer | None:
    """Start the web server the settings ask for: the webhook (webhook mode) and the dashboard (DASHBOARD_URL).
    None when neither is wanted (polling without a dashboard)."""
    dashboard = settings.dashboard_url is not None
    if not webhook and not dashboard:
        return None
    server = WebServer(make_web_app(ptb, settings, webhook=webhook, dashboard=dashboard))
    host, port = ((settings.webhook_listen, settings.webhook_port) if webhook
                  else (settings.dashboard_listen, settings.dashboard_port))
    await server.start(host, port)
    if webhook:
        assert settings.webhook_secret is not None
        secret = settings.webhook_secret.get_secret_value()
        await ptb.bot.set_webhook(url=str(settings.webhook_url), secret_token=secret, allowed_updates=Update.ALL_TYPES)
    if dashboard:
        log.info("dashboard: serving %s on %s:%s", url_path(settings.dashboard_url) + "/", host, server.port)
        ptb.create_task(warm_up(ptb), name="dashboard_warm_up")
    return server


__all__ = ["WebServer", "make_web_app", "start_web", "url_path", "warm_up"]
