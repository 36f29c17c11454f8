"""`/docs` works without internet (government intranets): the gateway's and every service's docs
page loads Swagger UI from the package (fastapi-offline), never from a CDN, and every asset it names
answers 200 from the same server."""

from __future__ import annotations

import re

import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
URL_IN_SCRIPT = re.compile(r"""url:\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("where", ["gateway", "staffing", "procurement", "evaluation"])
def test_docs_reference_only_local_assets(live_stack: LiveStack, where: str) -> None:
    base = live_stack.gateway if where == "gateway" else live_stack.url(where)
    with httpx.Client(base_url=base, timeout=10) as c:
        page = c.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assets = ASSET.findall(page.text) + URL_IN_SCRIPT.findall(page.text)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
        assert any(a.endswith("swagger-ui.css") for a in assets), assets
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), f"not local: {asset}"
            r = c.get(asset)
            assert r.status_code == 200 and r.content, asset
        assert "openapi.json" in " ".join(assets) or "/openapi.json" in page.text
        js = c.get(next(a for a in assets if a.endswith("swagger-ui-bundle.js")))
        assert "javascript" in js.headers["content-type"] and len(js.content) > 100_000


def test_service_docs_through_the_gateway_find_their_assets(live_stack: LiveStack) -> None:
    """A service's page reached through the gateway names `/static-offline-docs/…`: the gateway
    serves those too, without a credential."""
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        page = c.get("/api/staffing/docs")
        assert page.status_code == 200
        for asset in ASSET.findall(page.text):
            if asset.startswith("/static-offline-docs/"):
                assert c.get(asset).status_code == 200, asset
                assert c.get(f"/api/staffing{asset}").status_code == 200, asset
