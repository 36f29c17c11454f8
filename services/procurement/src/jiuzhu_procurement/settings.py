"""Jiuzhu procurement settings: shared DATABASE_URL/JWT_* plus `PROCUREMENT_`-prefixed options."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="PROCUREMENT_", extra="ignore")

    evaluation_service_url: str = Field(default="", validation_alias="EVALUATION_SERVICE_URL")
    http_timeout_seconds: float = 5.0
    # OCDS ocid prefix (register one with the OCDS helpdesk for production use).
    ocid_prefix: str = "ocds-jiuzhu"
    # Where the public reaches this service's routes (the gateway's /api/procurement): the OCDS
    # packages' `uri` (the route that serves each), item classification and related-process links.
    public_base_url: str = "https://jiuzhu.example/api/procurement"
    # The OCDS packages' publisher: the body that publishes this deployment's data.
    ocds_publisher_name: str = "Jiuzhu"
    ocds_publisher_uri: str = ""
    # How often a replica checks whether another one published or withdrew a local rule pack.
    rules_refresh_seconds: float = Field(default=10.0, gt=0, le=3600)
