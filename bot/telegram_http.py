"""How the bot talks HTTP to the Bot API: PTB's `BaseRequest` over aiohttp (default) or PTB's own httpx one.

Why not PTB's default: every Bot API call through `HTTPXRequest` cost ~0.9-1.0 ms of CPU here, through aiohttp
~0.45 ms (`benchmarks/cadre_flow.py --transport`). A guided `/ukur` entry makes ~16 calls, so the transport was
over half of the bot's CPU on a busy posyandu morning. aiohttp is already a dependency (the local stand-in
and webhooks use it). `TELEGRAM_HTTP_CLIENT=httpx` switches back to PTB's transport (e.g. for a SOCKS proxy).

Hand-written because PTB ships only the httpx one; the aiohttp one of ptbcontrib is not on PyPI. The contract
is PTB's: return (status, body) and raise `TimedOut` / `NetworkError`, which PTB and our error handler
already treat (retry later, tell the user, keep the data).
"""

from __future__ import annotations

import logging
import ssl
from typing import Literal
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

HttpClient = Literal["aiohttp", "httpx"]

# PTB's ApplicationBuilder defaults, so both transports behave alike.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """One aiohttp session (keep-alive pool of `pool_size` connections) per request object.

    Timeouts map as closely as aiohttp allows: `connect_timeout` -> sock_connect, `read_timeout` -> sock_read,
    `pool_timeout` + `connect_timeout` -> connect (aiohttp's includes waiting for a free connection), and the
    sum of all four caps the whole call (aiohttp has no separate write timeout).
    """

    def __init__(self, *, pool_size: int = 256, read_timeout: float | None = READ_TIMEOUT,
                 write_timeout: float | None = WRITE_TIMEOUT, connect_timeout: float | None = CONNECT_TIMEOUT,
                 pool_timeout: float | None = POOL_TIMEOUT,
                 media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT) -> None:
        self._pool_size = pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None  # made in initialize(): it needs the running loop
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Not trust_env=True: that re-reads ~/.netrc in a thread on every call (measured: 5 extra busy
            # threads). The proxy variables are read here, per host, once. Certificates from certifi, as
            # httpx does, so a slim container without the system's CA bundle still reaches api.telegram.org.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                limit=self._pool_size, ttl_dns_cache=300, ssl=ssl.create_default_context(cafile=certifi.where())))

    def _proxy_for(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY from the environment, as httpx reads them."""
        parsed = urlsplit(url)
        host = parsed.hostname or ""
        if host not in self._proxies:
            proxies = getproxies()
            proxy = proxies.get(parsed.scheme) or proxies.get("all")
            if proxy is not None and proxy.lower().startswith("socks"):
                raise NetworkError("A SOCKS proxy is set (HTTPS_PROXY/ALL_PROXY): set TELEGRAM_HTTP_CLIENT=httpx and "
                                   "install python-telegram-bot[socks] to use it.")
            self._proxies[host] = None if proxy is None or proxy_bypass(host) else proxy
        return self._proxies[host]

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, given: ODVInput[float], name: str) -> float | None:
        return self._timeouts[name] if isinstance(given, DefaultValue) else given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else {}
        body: aiohttp.FormData | dict[str, str]
        if files:
            body = aiohttp.FormData(fields)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        else:
            body = fields  # sent urlencoded, like PTB's httpx transport
        read = self._timeout(read_timeout, "read")
        connect = self._timeout(connect_timeout, "connect")
        pool = self._timeout(pool_timeout, "pool")
        write = (self._media_write_timeout if files and isinstance(write_timeout, DefaultValue)
                 else self._timeout(write_timeout, "write"))
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout, proxy=self._proxy_for(url),
                                             headers={"User-Agent": self.USER_AGENT}) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError subclasses
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


def make_request(client: HttpClient, *, for_updates: bool = False) -> BaseRequest:
    """The request object for Bot API calls (`for_updates`: the one long-polling getUpdates, one connection)."""
    pool = 1 if for_updates else 256
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=pool, read_timeout=READ_TIMEOUT, write_timeout=WRITE_TIMEOUT,
                            connect_timeout=CONNECT_TIMEOUT, pool_timeout=POOL_TIMEOUT)
    return AiohttpRequest(pool_size=pool)
