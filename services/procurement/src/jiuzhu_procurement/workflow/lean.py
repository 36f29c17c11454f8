"""Transition routes as lean routes (jiuzhu_kit.lean): the plain case without FastAPI.

A transition without a handler (start qualification review, start supervision, cancel, …) runs on a
write-pool connection: lock, update, audit append, commit. One with a handler needs the ORM
session: the write-pool attempt stops before writing anything (NeedsSession) and the transition
runs again in the request's session, committed by the unit of work before the response, exactly
as through the FastAPI route. Malformed input is declined, so the FastAPI route (the reference)
answers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from jiuzhu_kit.clock import today
from jiuzhu_kit.db import uow_of
from jiuzhu_kit.documents import generated
from jiuzhu_kit.errors import DomainError
from jiuzhu_kit.lean import UUID_PATTERN, Decline, LeanRequest, LeanRoute
from jiuzhu_procurement.workflow.machine import Machine, NeedsSession, Readable, run
from jiuzhu_procurement.workflow.schemas import TransitionIn


def transition_route(
    path: str,
    machine: Machine,
    model: type[Any],
    not_found: type[DomainError],
    readable: Readable,
    render: Callable[[Any], BaseModel],
    jurisdiction_of: Callable[[Any], str] | None = None,
) -> LeanRoute:
    """The lean twin of `POST {path}` (one `{…_id}` parameter, a UUID) served by workflow.http.apply."""
    (param,) = (p.strip("{}") for p in path.split("/") if p.startswith("{"))

    async def handle(req: LeanRequest) -> tuple[int, bytes]:
        try:
            body = TransitionIn.model_validate_json(req.body)
        except ValidationError:
            raise Decline() from None
        app = req.app
        args: dict[str, Any] = {
            "audit": app.state.audit,
            "machine": machine,
            "model": model,
            "entity_id": uuid.UUID(req.params[param]),
            "target": body.to,
            "principal": req.principal,
            "reason": body.reason,
            "raw_payload": body.data,
            "today": today(),
            "app": app,
            "not_found": not_found,
            "readable": readable,
            "authorization": req.authorization,
            "jurisdiction_of": jurisdiction_of,
        }
        try:  # rendered inside the transaction: a write is never committed behind an error
            async with app.state.write_pool.transaction() as con:
                entity = await run(session=None, con=con, **args)
                if await generated.affected(app, con, machine.aggregate, str(entity.id)):
                    raise NeedsSession()  # rolled back: written again below, regenerated at its commit
                out = render(entity)
        except NeedsSession:
            out = render(await run(session=uow_of(req.scope).session, **args))
        return 200, out.model_dump_json().encode()

    return LeanRoute("POST", path, handle, param_patterns=((param, UUID_PATTERN),))
