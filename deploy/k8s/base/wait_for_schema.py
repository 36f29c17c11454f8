"""Init container of every Jiuzhu Deployment: wait until the migrate Job has brought this image's
schema to the head of the migrations the image ships, so a new version never serves an old schema.

Run with the component's own image (it contains its package and that package's alembic scripts):

    DATABASE_URL=postgresql://… python /opt/jiuzhu/wait_for_schema.py jiuzhu_procurement

Exits 0 once the schema's alembic revision is a head of the image's scripts, or a revision the image
does not know (a newer release has migrated the database: migrations only add, so a rolled-back image
still runs on it). Waits while the database, the schema or the version table is missing, or the
revision is an older one of the image's own. Exits 1 after WAIT_FOR_SCHEMA_SECONDS (default 900): the
kubelet restarts the init container, and the pod shows why in its log. Standard library, asyncpg and
alembic only: every image has them.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory


def scripts_of(package: str) -> tuple[str, set[str], set[str]]:
    """The package's schema, the heads of its migrations and every revision it knows."""
    schema = str(importlib.import_module(package).SCHEMA)
    cfg = Config()
    cfg.set_main_option("script_location", f"{package}:migrations")
    scripts = ScriptDirectory.from_config(cfg)
    return schema, set(scripts.get_heads()), {rev.revision for rev in scripts.walk_revisions()}


async def revisions(url: str, schema: str) -> set[str] | str:
    """The schema's alembic revisions, or why they cannot be read yet."""
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"database not reachable ({type(exc).__name__})"
    try:
        rows = await conn.fetch(f'SELECT version_num FROM "{schema}".alembic_version')  # noqa: S608
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return f"schema {schema} not migrated yet"
    finally:
        await conn.close()
    return {row["version_num"] for row in rows}


def verdict(current: set[str] | str, heads: set[str], known: set[str]) -> str | None:
    """None when the pod may start, else what it is waiting for."""
    if isinstance(current, str):
        return current
    if current and current <= heads:
        return None
    if current and not current & known:
        return None  # migrated by a newer release than this image
    return f"at {sorted(current) or 'no revision'}, waiting for {sorted(heads)}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not os.environ.get("DATABASE_URL"):
        print("usage: DATABASE_URL=… wait_for_schema.py <package>", file=sys.stderr)
        return 2
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    schema, heads, known = scripts_of(argv[0])
    deadline = time.monotonic() + float(os.environ.get("WAIT_FOR_SCHEMA_SECONDS", "900"))
    interval = float(os.environ.get("WAIT_FOR_SCHEMA_INTERVAL", "2"))
    said = None
    while True:
        why = verdict(asyncio.run(revisions(url, schema)), heads, known)
        if why is None:
            print(f"schema {schema} is at {sorted(heads)}: starting", file=sys.stderr)
            return 0
        if why != said:
            print(f"schema {schema}: {why}", file=sys.stderr)
            said = why
        if time.monotonic() > deadline:
            print(f"schema {schema}: gave up ({why})", file=sys.stderr)
            return 1
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
