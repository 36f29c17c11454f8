"""Jiuzhu gateway: the one public entrance (routing, auth, API keys, limits, merged OpenAPI)."""

SCHEMA = "gateway"
VERSION = "0.2.0"
