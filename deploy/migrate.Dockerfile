# syntax=docker/dockerfile:1
# One-shot job: every schema to head, then reference data. Build from the repository root:
#   docker build -f deploy/migrate.Dockerfile -t jiuzhu/migrate .
FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_NO_CACHE_DIR=1
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs/kit/pyproject.toml libs/kit/
COPY libs/devtools/pyproject.toml libs/devtools/
COPY services/staffing-calc/pyproject.toml services/staffing-calc/
COPY services/procurement/pyproject.toml services/procurement/
COPY services/evaluation/pyproject.toml services/evaluation/
COPY gateway/pyproject.toml gateway/
RUN uv sync --frozen --no-dev --no-install-workspace --package jiuzhu-staffing-calc --package jiuzhu-procurement --package jiuzhu-evaluation --package jiuzhu-gateway
COPY libs/kit libs/kit
COPY services/staffing-calc services/staffing-calc
COPY services/procurement services/procurement
COPY services/evaluation services/evaluation
COPY gateway gateway
RUN uv sync --frozen --no-dev --no-editable --package jiuzhu-staffing-calc --package jiuzhu-procurement --package jiuzhu-evaluation --package jiuzhu-gateway

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home jiuzhu
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
USER 10001
CMD ["python", "-m", "jiuzhu_kit.migrations", "jiuzhu_staffing", "jiuzhu_procurement", "jiuzhu_evaluation", "jiuzhu_gateway"]
