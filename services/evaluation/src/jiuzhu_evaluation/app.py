"""The evaluation application (`uvicorn jiuzhu_evaluation.app:create --factory`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_evaluation import VERSION
from jiuzhu_evaluation.changes.sources import SOURCES as feed_sources
from jiuzhu_evaluation.consequence.endpoints import router as consequence_router
from jiuzhu_evaluation.db import documents
from jiuzhu_evaluation.models import kit
from jiuzhu_evaluation.round import documents as round_documents
from jiuzhu_evaluation.round import report
from jiuzhu_evaluation.round.endpoints import router as round_router
from jiuzhu_evaluation.round.models import RoundStatus
from jiuzhu_evaluation.round.public import router as public_round_router
from jiuzhu_evaluation.rulebook.book import SPEC, default_book
from jiuzhu_evaluation.schedule.endpoints import router as schedule_router
from jiuzhu_evaluation.settings import Settings
from jiuzhu_evaluation.staff.endpoints import router as staff_router
from jiuzhu_evaluation.survey import documents as survey_documents
from jiuzhu_evaluation.survey.endpoints import MAX_BULK_BYTES
from jiuzhu_evaluation.survey.endpoints import router as survey_router
from jiuzhu_evaluation.survey.public import router as public_survey_router
from jiuzhu_evaluation.survey.ratelimit import SurveyLimits
from jiuzhu_evaluation.template.endpoints import router as template_router
from jiuzhu_kit.app import create_app
from jiuzhu_kit.documents import generated, sweep
from jiuzhu_kit.documents.api import Documents, body_limits
from jiuzhu_kit.documents.store import DocumentStore
from jiuzhu_kit.rules.api import rules_router
from jiuzhu_kit.rules.book import book_of

# Statuses are stored as strings; the contract types them as the states they take.
ROUND_STATES = [s.value for s in RoundStatus]
STATUS_ENUMS = {
    "RoundOut.status": ROUND_STATES,
    "PublicationOut.status": ROUND_STATES,
    "AppealOut.status": ["pending", "dismissed", "upheld"],
    "SurveyOut.status": ["open", "closed"],
}


async def _start(app: FastAPI) -> None:
    await app.state.survey_limits.start()
    await sweep.start(app)  # orphaned document blobs, on one replica (documents/sweep.py)


async def _stop(app: FastAPI) -> None:
    await sweep.stop(app)
    await app.state.survey_limits.close()


def create(settings: Settings | None = None) -> FastAPI:
    cfg = settings or Settings()
    app = create_app(
        service="evaluation",
        title="Jiuzhu evaluation",
        version=VERSION,
        description=__import__("jiuzhu_evaluation").__doc__ or "",
        settings=cfg,
        feed_sources=feed_sources,
        tables=kit,
        routers=[
            template_router,
            round_router,
            survey_router,
            round_documents.router,
            survey_documents.router,
            public_round_router,
            public_survey_router,
            consequence_router,
            staff_router,
            schedule_router,
            rules_router(SPEC, book_of),
        ],
        problem_contract=True,  # the OpenAPI declares the kit's real problem responses
        body_limits={
            "/surveys/{survey_id}/responses/bulk": MAX_BULK_BYTES,
            **body_limits(
                cfg,
                [
                    (round_documents.router, round_documents.ATTACHABLE),
                    (survey_documents.router, survey_documents.ATTACHABLE),
                ],
            ),
        },
        on_startup=_start,
        on_shutdown=_stop,
        response_enums=STATUS_ENUMS,
        examples_file=Path(__file__).parent / "contract_examples.json",  # captured by tests
    )
    app.state.survey_limits = SurveyLimits(cfg)
    app.state.rules = default_book()  # a pack that is wrong stops start-up
    # Documents of rounds and surveys: content-addressed in the store the settings choose.
    app.state.documents = Documents(DocumentStore.from_settings(cfg, "evaluation"), documents)
    # The evaluation report, once generated, kept in step with its round before each commit.
    generated.install(app, [report.GENERATOR])
    return app
