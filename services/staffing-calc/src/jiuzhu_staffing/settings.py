"""Jiuzhu staffing-calc settings: shared DATABASE_URL/JWT_* plus `STAFFING_`-prefixed options."""

from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="STAFFING_", extra="ignore")
