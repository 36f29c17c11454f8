"""The processes of the system and where their migrations live."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package: str
    schema: str
    port: int
    prefix: str  # the gateway's route prefix

    @property
    def app(self) -> str:
        return f"{self.package}.app:create"

    @property
    def migrations(self) -> str:
        return f"{self.package}:migrations"

    @property
    def env_prefix(self) -> str:
        return self.schema.upper() + "_"


SERVICES = (
    ServiceSpec("staffing-calc", "jiuzhu_staffing", "staffing", 8101, "/api/staffing"),
    ServiceSpec("procurement", "jiuzhu_procurement", "procurement", 8102, "/api/procurement"),
    ServiceSpec("evaluation", "jiuzhu_evaluation", "evaluation", 8103, "/api/evaluation"),
)
GATEWAY_PORT = 8000

# The gateway's own schema (API keys, its audit log) and alembic history.
GATEWAY_SCHEMA = "gateway"
GATEWAY_MIGRATIONS = "jiuzhu_gateway:migrations"
