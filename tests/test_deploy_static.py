"""Static checks of deploy/ and docker-compose.yml (no Docker engine on CI machines).

Compose: variables interpolated as `docker compose` would, then parsed and validated by the
compose-spec parser, then our own rules. Dockerfiles: hadolint, and every COPY source exists.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import compose_spec
import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = sorted((ROOT / "deploy").glob("*.Dockerfile"))
APP_SERVICES = {"staffing-calc", "procurement", "evaluation", "gateway"}
ENV = {
    "POSTGRES_PASSWORD": "pw",
    "JWT_SECRET": "x" * 40,
    "PROCUREMENT_BID_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "MINIO_ROOT_PASSWORD": "minio-pw-1234",
    "PROCUREMENT_PERSONAL_DATA_KEY": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
    "STAFFING_TRANSPARENCY_KEY": "c3RhZmZpbmctdHJhbnNwYXJlbmN5LWtleS0zMmJ5dGU=",
    "PROCUREMENT_TRANSPARENCY_KEY": "cHJvY3VyZW1lbnQtdHJhbnNwYXJlbmN5LWtleS0zMmI=",
    "EVALUATION_TRANSPARENCY_KEY": "ZXZhbHVhdGlvbi10cmFuc3BhcmVuY3kta2V5LTMyYnk=",
}

_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` interpolation."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        val = env.get(name)
        if op in (":?", "?") and not val:
            raise ValueError(f"required variable {name} is missing: {arg}")
        if op in (":-", "-") and not val:
            return arg
        return val or ""

    return _VAR.sub(sub, value)


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    data = yaml.safe_load(
        (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    )  # resolves anchors and <<
    resolved: dict[str, Any] = interpolate(data, env)
    compose_spec.PyCompose.from_json(json.dumps(resolved)).validate()
    return resolved


def test_compose_is_valid_and_wired() -> None:
    c = load_compose(ENV)
    services = c["services"]
    assert set(services) == APP_SERVICES | {"postgres", "migrate", "edge", "minio", "minio-bucket"}
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES - {"gateway"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name, svc in services.items():
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        if name in APP_SERVICES | {"migrate"}:
            assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
            assert "env_file" not in svc and "volumes" not in svc  # configuration by environment only
            assert svc["environment"]["JIUZHU_ENVIRONMENT"] == "prod"
    # Two replicas of each app; only the edge publishes a port (two gateways could not both bind
    # :8000), and it proxies to the gateway replicas with a configuration that exists.
    for name in APP_SERVICES:
        assert services[name]["deploy"]["replicas"] == 2, name
        assert "ports" not in services[name], name
    edge = services["edge"]
    assert edge["ports"] == ["8000:8000"]
    assert edge["depends_on"]["gateway"]["condition"] == "service_healthy"
    for mount in edge["volumes"]:
        source = mount.split(":")[0]
        assert (ROOT / source).is_file(), source
        conf = (ROOT / source).read_text(encoding="utf-8")
        assert "http://gateway:8000" in conf and "X-Forwarded-For $remote_addr" in conf


@pytest.mark.parametrize("service", ["procurement", "evaluation"])  # the two that keep documents
def test_compose_keeps_documents_in_minio(service: str) -> None:
    """Two replicas of a service on their containers' disks would each hold half its documents."""
    services = load_compose(ENV)["services"]
    env = services[service]["environment"]
    prefix = service.upper()
    assert env[f"{prefix}_DOCUMENTS_BACKEND"] == "s3"
    assert env[f"{prefix}_DOCUMENTS_S3_BUCKET"] == "jiuzhu-documents"
    assert env[f"{prefix}_DOCUMENTS_S3_ENDPOINT"] == "http://minio:9000"
    assert env[f"{prefix}_DOCUMENTS_S3_SECRET_ACCESS_KEY"] == ENV["MINIO_ROOT_PASSWORD"]
    assert services[service]["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    assert services["minio-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "jiuzhu-documents" in " ".join(services["minio-bucket"]["entrypoint"])
    with pytest.raises(ValueError, match="MINIO_ROOT_PASSWORD"):
        load_compose({k: v for k, v in ENV.items() if k != "MINIO_ROOT_PASSWORD"})


def test_compose_refuses_to_start_without_secrets() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        load_compose({"POSTGRES_PASSWORD": "pw"})
    with pytest.raises(ValueError, match="PROCUREMENT_BID_KEY"):
        load_compose({k: v for k, v in ENV.items() if k != "PROCUREMENT_BID_KEY"})


def test_only_procurement_holds_the_sealed_bid_key() -> None:
    services = load_compose(ENV)["services"]
    for key in ("PROCUREMENT_BID_KEY", "PROCUREMENT_PERSONAL_DATA_KEY"):
        holders = {name for name, svc in services.items() if key in svc.get("environment", {})}
        assert holders == {"procurement"}, key


def test_compose_validator_catches_a_broken_file() -> None:
    broken = {"services": {"a": {"image": "x", "restart": "sometimes"}}}
    with pytest.raises(ValueError):
        compose_spec.PyCompose.from_json(json.dumps(broken))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_lints_and_copies_only_what_exists(dockerfile: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    out = subprocess.run(
        [str(hadolint), "--failure-threshold", "warning", str(dockerfile)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    parser = DockerfileParser(path=str(dockerfile))
    copies = [i["value"].split() for i in parser.structure if i["instruction"] == "COPY"]
    sources = [src for parts in copies if not parts[0].startswith("--from") for src in parts[:-1]]
    assert sources, "a Dockerfile that copies nothing"
    for src in sources:
        assert (ROOT / src).exists(), f"{dockerfile.name}: COPY source {src} does not exist"
    # Only the kit and the image's own package(s) are copied as code; never devtools or tests.
    code_dirs = {s for s in sources if not s.endswith(("pyproject.toml", "uv.lock"))}
    assert "libs/devtools" not in code_dirs and not any("tests" in s for s in code_dirs)
    assert parser.baseimage.startswith("python:3.11-slim")
    assert any(i["instruction"] == "USER" for i in parser.structure), "images must not run as root"


def test_every_app_has_an_image() -> None:
    assert {p.name.removesuffix(".Dockerfile") for p in DOCKERFILES} == APP_SERVICES | {"migrate"}
