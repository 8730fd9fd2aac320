"""The dashboard's JSON API (aiohttp handlers): read the request, call a service, answer. Authentication and
scope are resolved by the middleware in bot/webapp/server.py before any of these runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from typing import Any

from aiohttp import web

from bot.services import annual_review as review_svc
from bot.services import dashboard as dash
from bot.services import review_files
from bot.services.dashboard import DashboardError
from bot.webapp import initdata
from bot.webapp.context import CALLER, CTX, Caller, WebContext
from bot.webapp.strings import strings_for

_ID = re.compile(r"[1-9][0-9]{0,17}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")
MAX_BODY = 64 * 1024
FILE_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def _json(data: Any, status: int = 200) -> web.Response:
    response = web.json_response(data, status=status, dumps=lambda d: json.dumps(d, separators=(",", ":")))
    response.headers["Cache-Control"] = "no-store"
    response.enable_compression()
    return response


def _id(value: str | None, *, optional: bool = False) -> int | None:
    if value in (None, "") and optional:
        return None
    if value is None or not _ID.fullmatch(value):
        raise DashboardError(400, "bad_id")
    return int(value)


def _month(value: str | None, today: dt.date) -> dt.date:
    if not value:
        return today.replace(day=1)
    m = _MONTH.fullmatch(value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DashboardError(400, "bad_month")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def _year(value: object, today: dt.date) -> int:
    if value in (None, ""):
        return today.year
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _YEAR.fullmatch(value):
        raise DashboardError(400, "bad_year")
    return int(value)


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise DashboardError(413, "body_too_large")
    try:
        data = json.loads(await request.content.read(MAX_BODY + 1) or b"{}")
    except ValueError:
        raise DashboardError(400, "bad_json") from None
    if not isinstance(data, dict):
        raise DashboardError(400, "bad_json")
    return data


def _caller(request: web.Request) -> tuple[WebContext, Caller]:
    return request.app[CTX], request[CALLER]


# ------------------------------------------------------------------ routes


async def strings(request: web.Request) -> web.Response:
    """The page's words in the asked language (no login: they are the same for everyone)."""
    ctx = request.app[CTX]
    tr = ctx.translator(request.query.get("lang"))
    return _json({"lang": tr.lang, "strings": strings_for(tr)})


async def me(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    return _json(dash.me(caller.scope, caller.tr, ctx.today()))


async def overview(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    today = ctx.today()
    data = await dash.overview(ctx.repos, caller.scope, _id(request.query.get("area"), optional=True),
                               _month(request.query.get("month"), today), caller.tr, today)
    return _json(data)


async def posyandu(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    today = ctx.today()
    pid = _id(request.match_info["posyandu_id"])
    assert pid is not None
    data = await dash.posyandu_month(ctx.repos, caller.scope, pid, _month(request.query.get("month"), today),
                                     caller.tr, today)
    return _json(data)


async def child_chart(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    cid = _id(request.match_info["child_id"])
    assert cid is not None
    png = await dash.child_chart(ctx.repos, caller.scope, cid, request.match_info["indicator"], caller.tr)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


async def review(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    today = ctx.today()
    built = await review_svc.build_review(ctx.repos, caller.scope, _id(request.query.get("area"), optional=True),
                                          _year(request.query.get("year"), today), caller.tr, today)
    return _json(review_svc.review_json(built))


async def save_notes(request: web.Request) -> web.Response:
    ctx, caller = _caller(request)
    body = await _body(request)
    area = body.get("area")
    if not isinstance(area, int) or isinstance(area, bool) or area <= 0:
        raise DashboardError(400, "bad_id")
    changed = await review_svc.save_notes(ctx.repos, caller.scope, area, _year(body.get("year"), ctx.today()), body,
                                          ctx.today())
    return _json({"saved": changed})


async def download_link(request: web.Request) -> web.Response:
    """A short-lived link to one file (Telegram's downloadFile cannot send our header)."""
    ctx, caller = _caller(request)
    body = await _body(request)
    kind = body.get("kind")
    if kind not in FILE_TYPES:
        raise DashboardError(400, "bad_kind")
    area = body.get("area")
    if area is not None and (not isinstance(area, int) or isinstance(area, bool) or not caller.scope.allows_area(area)):
        raise DashboardError(403, "area_outside_scope")
    year = review_svc.check_year(_year(body.get("year"), ctx.today()), ctx.today())
    token = initdata.download_token({"u": caller.user_id, "k": kind, "a": area, "y": year, "l": caller.tr.lang},
                                    ctx.bot_token, now=ctx.now())
    name = f"reviu-{year}-{area or 'semua'}.{kind}"
    return _json({"url": f"api/file?t={token}", "filename": name})


async def download_file(request: web.Request) -> web.StreamResponse:
    """The file a download link names, built now from the caller's current scope."""
    ctx = request.app[CTX]
    try:
        payload = initdata.read_download_token(request.query.get("t", ""), ctx.bot_token, now=ctx.now())
    except initdata.InitDataError as exc:
        raise DashboardError(401, "download_" + exc.reason) from None
    uid, kind, area, year, lang = (payload.get(k) for k in ("u", "k", "a", "y", "l"))
    if not isinstance(uid, int) or kind not in FILE_TYPES or not isinstance(year, int) or not (
            area is None or isinstance(area, int)):
        raise DashboardError(400, "bad_download")
    caller = await ctx.caller_for(uid, lang if isinstance(lang, str) else None)
    request[CALLER] = caller
    built = await review_svc.build_review(ctx.repos, caller.scope, area, year, caller.tr, ctx.today())
    maker = review_files.review_xlsx if kind == "xlsx" else review_files.review_pdf
    content = await asyncio.to_thread(maker, built, caller.tr)  # a few hundred ms of CPU for a city
    name = f"reviu-{built.year}-{area or 'semua'}.{kind}"
    return web.Response(body=content, content_type=FILE_TYPES[kind], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    api = prefix + "/api"
    router.add_get(api + "/strings", strings)
    router.add_get(api + "/me", me)
    router.add_get(api + "/overview", overview)
    router.add_get(api + r"/posyandu/{posyandu_id}", posyandu)
    router.add_get(api + r"/child/{child_id}/chart/{indicator}", child_chart)
    router.add_get(api + "/review", review)
    router.add_put(api + "/review/notes", save_notes)
    router.add_post(api + "/download", download_link)
    router.add_get(api + "/file", download_file)


PUBLIC = ("/api/strings", "/api/file")  # no initData: the words of the page, and files behind a signed link

__all__ = ["PUBLIC", "add_routes"]
