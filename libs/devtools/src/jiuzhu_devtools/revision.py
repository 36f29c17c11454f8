"""`python -m jiuzhu_devtools.revision staffing "message"`: autogenerate a migration for one service."""

from __future__ import annotations

import sys

from alembic import command

from jiuzhu_devtools.pg import dev_database_url
from jiuzhu_devtools.services import SERVICES
from jiuzhu_kit.migrations import alembic_config


def main() -> None:
    schema, message = sys.argv[1], sys.argv[2]
    spec = next(s for s in SERVICES if s.schema == schema)
    cfg = alembic_config(spec.migrations, dev_database_url())
    command.upgrade(cfg, "head")
    rev_id = sys.argv[3] if len(sys.argv) > 3 else None
    command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main()
