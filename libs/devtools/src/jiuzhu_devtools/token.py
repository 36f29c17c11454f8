"""`make token ROLE=bureau DIV=350802`: print a development JWT. A contractor acts for one
organisation: `make token ROLE=contractor DIV=350802 ORG=<its unified social credit code>`."""

from __future__ import annotations

import argparse

from pydantic import TypeAdapter, ValidationError

from jiuzhu_kit.auth import Role, issue_token
from jiuzhu_kit.ids import Uscc
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
    if Role.CONTRACTOR.value in roles and not args.org:
        ap.error("ROLE=contractor needs ORG=<unified social credit code> (the organisation it acts for)")
    if args.org:
        try:
            TypeAdapter(Uscc).validate_python(args.org)
        except ValidationError as exc:
            ap.error(f"ORG={args.org}: not a valid unified social credit code ({exc.errors()[0]['msg']})")
    sub = args.sub or f"dev-{roles[0]}-{args.div}"
    print(issue_token(settings, sub, roles, args.div, org=args.org, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
