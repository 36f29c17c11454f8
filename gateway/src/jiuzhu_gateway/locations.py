"""`Location` / `Content-Location` from an upstream, as the client must see them: no upstream's
internal address ever leaves the gateway (a framework's redirect is built from the Host the gateway
sent, i.e. `http://127.0.0.1:<service port>/…`).

- absolute URL on an upstream's origin → that service's path on the gateway (`/api/<service>/…`,
  `/api/public/<service>/…` for its `/public/…`);
- absolute path (`/projects/7`, upstream-relative) → the same mapping for the answering service,
  unless it already is a gateway path (`/api/…`: built from X-Forwarded-Prefix);
- anything else (another site, a relative reference) → unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


class Locations:
    def __init__(self, origins: dict[str, str]) -> None:
        """`origins`: each service's upstream `host:port` (lower case), by service name."""
        self.origins = origins

    def public(self, value: bytes, service: str) -> bytes:
        """The public form of `value`, a Location sent by `service`."""
        try:
            parts = urlsplit(value.decode("latin-1").strip())
            port = parts.port
        except ValueError:  # unparseable: it cannot be trusted to be harmless
            return b"/"
        if parts.netloc:
            origin = f"{(parts.hostname or '').lower()}:{port or (443 if parts.scheme == 'https' else 80)}"
            if self.origins.get(service) != origin:
                owner = next((s for s, o in self.origins.items() if o == origin), None)
                if owner is None:
                    return value  # someone else's address: not ours to hide
                service = owner
        elif not parts.path.startswith("/") or parts.path.startswith("/api/"):
            return value  # relative, or already a gateway path (services have no /api routes)
        path = parts.path
        if path == "/public" or path.startswith("/public/"):
            path = f"/api/public/{service}{path[len('/public') :]}"
        else:
            path = f"/api/{service}{path}"
        return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")
