"""Jiuzhu procurement settings: shared DATABASE_URL/JWT_* plus `PROCUREMENT_`-prefixed options."""

from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="PROCUREMENT_", extra="ignore")
