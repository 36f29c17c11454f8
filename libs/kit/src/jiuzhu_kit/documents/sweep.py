"""The orphan sweep: blobs in the document store that no document refers to are removed, on one
replica at a time (jiuzhu_kit.singleton.Leader, lock `<service>:documents-sweep`).

A blob becomes an orphan when its bytes were stored but the transaction that would have recorded
the document did not commit: the client went away mid-request after the put, the database refused
the row, a reused Idempotency-Key was refused after the bytes were in. Such a blob is kept for
`documents_orphan_grace_seconds` (an upload may still be committing), then deleted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import FastAPI

from jiuzhu_kit.db import connect_args, plain_dsn
from jiuzhu_kit.documents.api import Documents, sweep_orphans
from jiuzhu_kit.settings import KitSettings
from jiuzhu_kit.singleton import Leader

log = logging.getLogger("jiuzhu.documents.sweep")


async def sweep_once(app: FastAPI) -> list[str]:
    """One sweep of this app's store against its document table; the keys removed."""
    settings: KitSettings = app.state.settings
    docs: Documents = app.state.documents
    async with app.state.sessionmaker() as session:
        gone = await sweep_orphans(
            docs.store, session, docs.table, grace=timedelta(seconds=settings.documents_orphan_grace_seconds)
        )
    if gone:
        log.info("removed %d orphaned document blob(s)", len(gone))
    return gone


def sweeper(app: FastAPI, service: str) -> Leader:
    """The Leader that runs `sweep_once` every `documents_sweep_seconds` on one replica."""
    settings: KitSettings = app.state.settings

    async def job() -> None:
        await sweep_once(app)

    return Leader(
        plain_dsn(settings.database_url),
        f"{service}:documents-sweep",
        job,
        every=settings.documents_sweep_seconds,
        connect_options=connect_args(settings, f"{service}-documents-sweep"),
    )


def _shares_a_store(settings: KitSettings) -> bool:
    """A test process on the default local store: that folder is shared with `make run` and other
    test databases, whose documents this database does not know; sweeping it would remove theirs."""
    return (
        settings.environment == "test"
        and settings.documents_backend == "local"
        and not settings.documents_dir
    )


async def start(app: FastAPI) -> None:
    if _shares_a_store(app.state.settings):
        return
    app.state.documents_sweeper = sweeper(app, app.state.service)
    await app.state.documents_sweeper.start()


async def stop(app: FastAPI) -> None:
    leader = getattr(app.state, "documents_sweeper", None)
    if leader is not None:
        await leader.close()
