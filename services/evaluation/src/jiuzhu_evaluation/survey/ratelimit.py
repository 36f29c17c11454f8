"""The survey routes' limits on the kit's windows (jiuzhu_kit.ratelimit): answers per client address
and survey (against brute-forcing codes), bulk intake per portal principal.

With the `cluster` policy every replica shares the counts through `evaluation.rate_limit_window`;
in each process a key is dropped once its two windows are over (and at most 100,000 are kept), so
a stream of new addresses no longer grows the process without end.
"""

from __future__ import annotations

from jiuzhu_evaluation import SCHEMA
from jiuzhu_evaluation.settings import Settings
from jiuzhu_kit.db import connect_args
from jiuzhu_kit.errors import RateLimited
from jiuzhu_kit.ratelimit import Limit, Limiter, make_window

__all__ = ["RateLimited", "SurveyLimits"]


class SurveyLimits:
    def __init__(self, settings: Settings) -> None:
        self.window = make_window(
            settings.rate_limit_policy,
            database_url=settings.database_url,
            schema=SCHEMA,
            connect_options=connect_args(settings, "evaluation-ratelimit"),
            sync_seconds=settings.rate_limit_sync_seconds,
            error=settings.rate_limit_cluster_error,
        )
        self.answer = Limiter(self.window, Limit(settings.survey_rate_limit_per_minute, 60))
        self.bulk = Limiter(self.window, Limit(settings.survey_bulk_rate_limit_per_minute, 60))

    async def start(self) -> None:
        await self.window.start()

    async def close(self) -> None:
        await self.window.close()
