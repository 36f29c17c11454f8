# syntax=docker/dockerfile:1
# gateway: build from the repository root:  docker build -f deploy/gateway.Dockerfile -t jiuzhu/gateway .
# Only libs/kit and this package's code enter the image; the other members' pyproject.toml files
# are copied because the workspace lock names them.
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
RUN uv sync --frozen --no-dev --no-install-workspace --package jiuzhu-gateway
COPY libs/kit libs/kit
COPY gateway gateway
RUN uv sync --frozen --no-dev --no-editable --package jiuzhu-gateway

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home jiuzhu
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 JIUZHU_ENVIRONMENT=prod
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["uvicorn", "--factory", "jiuzhu_gateway.app:create", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--forwarded-allow-ips", "*", "--http", "jiuzhu_kit.headerlimit:BoundedHttpToolsProtocol"]
