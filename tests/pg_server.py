"""A real PostgreSQL server for the test suite's PostgreSQL run (`POSYANDU_TEST_DATABASE=postgresql`).

The suite runs twice in CI: on SQLite (the default) and on PostgreSQL. In the PostgreSQL run every database a
test opens by path (`tmp_path / "bot.db"`) is a fresh PostgreSQL database instead, copied from a template that
holds the migrated schema (CREATE DATABASE ... TEMPLATE: ~30 ms, against ~1 s to migrate). The server is the
distribution's PostgreSQL, started here in a private folder on a free port (or the one `POSYANDU_TEST_PG_URL`
names), with fsync off: the data is thrown away.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MODE = os.environ.get("POSYANDU_TEST_DATABASE", "sqlite")
TEMPLATE = "posyandu_template"


ACTIVE: Databases | None = None  # the session's databases (set by tests/conftest.py on the PostgreSQL run)


def database_url(path: Path) -> str:
    """DATABASE_URL for a bot process of a test's own (a subprocess): the PostgreSQL database that stands for
    `path` on the PostgreSQL run, the SQLite file otherwise."""
    return ACTIVE.url_for(path) if ACTIVE is not None else f"sqlite:///{path}"


def enabled() -> bool:
    return MODE == "postgresql"


def available() -> bool:
    try:
        _bin("initdb")
    except RuntimeError:
        return bool(os.environ.get("POSYANDU_TEST_PG_URL"))
    return True


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version / "bin" / name
        if candidate.exists():
            return str(candidate)
    raise RuntimeError(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A throwaway cluster: initdb, pg_ctl start; stop() removes it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="posyandu-pg-"))
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        self._as: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            shutil.chown(self.dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        subprocess.run([*self._as, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        subprocess.run([*self._as, _bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.dir / "log"),
                        "-w", "start"], check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run([*self._as, _bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


class Databases:
    """Databases for the tests, one per (test, path), copied from the template once and then reused: when a test
    ends, its databases are emptied (TRUNCATE, identities restarted, the migrations' own rows put back, tables a
    test created dropped) and go back to the pool. CREATE DATABASE costs ~1,5 s on this machine, a reset ~0,1 s."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.made: dict[str, str] = {}
        self.free: list[str] = []
        self.count = 0
        self.tables: list[str] = []
        self.seed: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
        self.versions = 0

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(f"{self.base}/{dbname}", autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def prepare_template(self) -> None:
        import psycopg

        from storage.db import open_database

        self.admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {TEMPLATE}")

        async def migrate() -> None:
            db = await open_database(f"{self.base}/{TEMPLATE}")
            await db.close()

        asyncio.run(migrate())
        with psycopg.connect(f"{self.base}/{TEMPLATE}") as conn:
            self.tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version'")]
            for table in self.tables:
                cur = conn.execute(f"SELECT * FROM {table}")  # type: ignore[arg-type]
                rows = cur.fetchall()
                if rows:
                    self.seed[table] = ([c.name for c in cur.description or ()], rows)
            self.versions = int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])  # type: ignore[index]

    def url_for(self, path: Path | str) -> str:
        """The database standing for `path`. A path whose name ends in `_unmigrated.db` (a test of a migration
        from an older schema) gets an empty database of its own, dropped when the test ends."""
        key = str(Path(path).resolve())
        if key not in self.made and Path(path).stem.endswith("_unmigrated"):
            self.count += 1
            name = f"u_{os.getpid()}_{self.count}"
            self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self.admin(f"CREATE DATABASE {name} TEMPLATE template0")
            self.made[key] = name
        if key not in self.made:
            if self.free:
                name = self.free.pop()
            else:
                self.count += 1
                name = f"t_{os.getpid()}_{self.count}"
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            self.made[key] = name
        return f"{self.base}/{self.made[key]}"

    def _reset(self, name: str) -> None:
        import psycopg

        self.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'")
        with psycopg.connect(f"{self.base}/{name}", autocommit=True) as conn:
            present = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                                   " AND tablename <> 'schema_version'")]
            with conn.transaction():
                for table in set(present) - set(self.tables):
                    conn.execute(f"DROP TABLE {table} CASCADE")  # type: ignore[arg-type]
                conn.execute(f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY CASCADE")  # type: ignore[arg-type]
                conn.execute("DELETE FROM schema_version WHERE version > %s", (self.versions,))
                for table, (cols, rows) in self.seed.items():
                    marks = ", ".join(["%s"] * len(cols))
                    with conn.cursor() as cur:
                        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",  # type: ignore[arg-type]
                                        rows)

    def release_all(self) -> None:
        for name in self.made.values():
            if name.startswith("u_"):  # an empty database of one migration test: not reused
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                continue
            try:
                self._reset(name)
            except Exception:  # a database left unusable is dropped, not reused
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                continue
            self.free.append(name)
        self.made.clear()

    def drop_all(self) -> None:
        self.release_all()
        for name in self.free:
            self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.free.clear()


def start() -> tuple[Server | None, Databases]:
    url = os.environ.get("POSYANDU_TEST_PG_URL")
    server = None if url else Server()
    dbs = Databases(url or (server.url if server else ""))
    deadline = time.monotonic() + 20
    while True:
        try:
            dbs.prepare_template()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    return server, dbs
