"""The evaluation application (`uvicorn jiuzhu_evaluation.app:create --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from jiuzhu_evaluation import VERSION
from jiuzhu_evaluation.models import kit
from jiuzhu_evaluation.settings import Settings
from jiuzhu_kit.app import create_app


def create(settings: Settings | None = None) -> FastAPI:
    return create_app(
        service="evaluation",
        title="Jiuzhu evaluation",
        version=VERSION,
        description=__import__("jiuzhu_evaluation").__doc__ or "",
        settings=settings or Settings(),
        tables=kit,
        routers=[],
    )
