"""The processes of the system and where their migrations live."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # also its folder under services/
    package: str
    schema: str  # also the gateway's route name: /api/<schema>/
    port: int

    @property
    def app(self) -> str:
        return f"{self.package}.app:create"

    @property
    def migrations(self) -> str:
        return f"{self.package}:migrations"

    @property
    def env_prefix(self) -> str:
        return self.schema.upper() + "_"

    @property
    def directory(self) -> str:
        """The service's folder, relative to the repository root."""
        return f"services/{self.name}"


SERVICES = (
    ServiceSpec("staffing-calc", "jiuzhu_staffing", "staffing", 8101),
    ServiceSpec("procurement", "jiuzhu_procurement", "procurement", 8102),
    ServiceSpec("evaluation", "jiuzhu_evaluation", "evaluation", 8103),
)
GATEWAY_PORT = 8000
# uvicorn's `--http` for every process: httptools with the request head bounded (431 past the limits).
UVICORN_HTTP = "jiuzhu_kit.headerlimit:BoundedHttpToolsProtocol"

# The gateway's own schema (API keys, its audit log); its package holds its alembic history.
GATEWAY_SCHEMA = "gateway"
GATEWAY_PACKAGE = "jiuzhu_gateway"
