"""Jiuzhu staffing-calc settings: shared DATABASE_URL/JWT_* plus `STAFFING_`-prefixed options."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="STAFFING_", extra="ignore")

    # Peers (issue 16): procurement's roster gives compliance its "actual" workers; evaluation's
    # staff assessments give the budget its pay progression. Unset: typed figures only.
    procurement_service_url: str = Field(default="", validation_alias="PROCUREMENT_SERVICE_URL")
    evaluation_service_url: str = Field(default="", validation_alias="EVALUATION_SERVICE_URL")
    http_timeout_seconds: float = 5.0
