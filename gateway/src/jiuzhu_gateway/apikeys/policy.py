"""Who reads an API key and its history: admins, in their jurisdiction (a key is issued for one)."""

from __future__ import annotations

from jiuzhu_gateway.apikeys.models import ApiKey
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    zh = "未找到该 API 密钥"
    en = "API key not found"


class ApiKeyPolicy(ReadPolicy[ApiKey]):
    aggregate = "api_key"
    not_found = ApiKeyNotFound
    roles = frozenset()  # admin only
    model = ApiKey
    division_attr = "division"


POLICY = ApiKeyPolicy()
