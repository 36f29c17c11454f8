"""Jiuzhu evaluation settings: shared DATABASE_URL/JWT_* plus `EVALUATION_`-prefixed options."""

from decimal import Decimal
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="EVALUATION_", extra="ignore")

    # Seeds 001 一(六) / 003 三(五)4: evaluation "侧重服务对象的满意度评价"; the floor is policy, configurable.
    recipient_weight_floor: Decimal = Decimal("30")
    # Working days a contractor has to appeal a published result (no seed figure; 政府采购法 52 uses 7).
    appeal_working_days: int = Field(default=7, ge=1, le=60)
    # Survey codes are stored as HMAC-SHA256(pepper, code) only; set a real pepper outside dev.
    survey_code_pepper: str = "dev-survey-pepper"
    # Per client per minute on the one-by-one recipient endpoint (brute-forcing codes).
    survey_rate_limit_per_minute: int = Field(default=30, ge=1)
    # Portal bulk intake: requests per minute per portal principal.
    survey_bulk_rate_limit_per_minute: int = Field(default=600, ge=1)
    # Where those limits count (jiuzhu_kit.ratelimit): `cluster` shares them between replicas through
    # `evaluation.rate_limit_window` (at most limit × (1 + error) per minute over all of them, or
    # limit + replicas); `local` counts per process. Either way a key expires after two windows.
    rate_limit_policy: Literal["local", "cluster"] = "cluster"
    rate_limit_sync_seconds: float = Field(default=0.2, gt=0)
    rate_limit_cluster_error: float = Field(default=0.05, gt=0, le=1)
    procurement_service_url: str = Field(default="", validation_alias="PROCUREMENT_SERVICE_URL")
