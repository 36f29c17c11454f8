"""Jiuzhu procurement settings: shared DATABASE_URL/JWT_* plus `PROCUREMENT_`-prefixed options."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import PLACEHOLDER_SECRETS, KitSettings
from jiuzhu_procurement.project.sealing import DEV_BID_KEY, parse_key
from jiuzhu_procurement.roster.crypto import DEV_PERSONAL_DATA_KEY


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
    # The master key that wraps each project's sealed-bid data key (project/sealing.py): 32 random
    # bytes in base64 (`PROCUREMENT_BID_KEY`). Kept in the environment only, never in the database.
    # The previous keys (comma-separated) still unwrap what they wrapped, for a rotation.
    bid_key: str = DEV_BID_KEY
    bid_keys_previous: str = ""
    # The key of the roster's personal data (ID numbers, phones; roster/crypto.py): 32 random bytes
    # in base64 (`PROCUREMENT_PERSONAL_DATA_KEY`), from the environment only, like the bid key.
    personal_data_key: str = DEV_PERSONAL_DATA_KEY

    @model_validator(mode="after")
    def _bid_keys(self) -> Self:
        parse_key(self.bid_key)  # a ValueError refuses the settings (the process won't start)
        for k in self.bid_keys_previous.split(","):
            if k.strip():
                parse_key(k)
        if self.environment == "prod" and (
            self.bid_key == DEV_BID_KEY or self.bid_key.strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError("PROCUREMENT_BID_KEY is the development key; set a real one outside dev")
        parse_key(self.personal_data_key, "PROCUREMENT_PERSONAL_DATA_KEY")
        if self.environment == "prod" and (
            self.personal_data_key == DEV_PERSONAL_DATA_KEY
            or self.personal_data_key.strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError(
                "PROCUREMENT_PERSONAL_DATA_KEY is the development key; set a real one outside dev"
            )
        return self
