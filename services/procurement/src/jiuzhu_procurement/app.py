"""The procurement application (`uvicorn jiuzhu_procurement.app:create --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from jiuzhu_kit.app import create_app
from jiuzhu_procurement import VERSION
from jiuzhu_procurement.models import kit
from jiuzhu_procurement.settings import Settings


def create(settings: Settings | None = None) -> FastAPI:
    return create_app(
        service="procurement",
        title="Jiuzhu procurement",
        version=VERSION,
        description=__import__("jiuzhu_procurement").__doc__ or "",
        settings=settings or Settings(),
        tables=kit,
        routers=[],
    )
