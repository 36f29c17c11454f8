"""`make token ROLE=bureau DIV=350802`: print a development JWT."""

from __future__ import annotations

import argparse

from jiuzhu_kit.auth import Role, issue_token
from jiuzhu_kit.settings import KitSettings


def main() -> None:
    ap = argparse.ArgumentParser(description="print a development JWT")
    ap.add_argument("--role", default="bureau", help="comma-separated: " + ",".join(r.value for r in Role))
    ap.add_argument("--div", default="350802", help="jurisdiction division code (000000 = national)")
    ap.add_argument("--sub", default=None)
    ap.add_argument("--org", default=None, help="contractor's unified social credit code")
    ap.add_argument("--ttl", type=int, default=8 * 3600)
    args = ap.parse_args()
    settings = KitSettings()
    roles = [r.strip() for r in args.role.split(",") if r.strip()]
    for r in roles:
        Role(r)  # refuse unknown roles loudly
    sub = args.sub or f"dev-{roles[0]}-{args.div}"
    print(issue_token(settings, sub, roles, args.div, org=args.org, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
