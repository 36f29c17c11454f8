"""Jiuzhu evaluation settings: shared DATABASE_URL/JWT_* plus `EVALUATION_`-prefixed options."""

from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="EVALUATION_", extra="ignore")
