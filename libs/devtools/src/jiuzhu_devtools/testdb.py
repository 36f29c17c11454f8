"""Run a command (the test suite) with TEST_DATABASE_URL pointing at a real Postgres server.

TEST_DATABASE_URL already set → that server; otherwise the embedded one in `.data/pg-test`,
stopped again afterwards. The pytest plugin makes a fresh database per run and drops it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from jiuzhu_devtools.pg import data_dir, ensure_embedded, stop_embedded


def main() -> int:
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    env = dict(os.environ)
    embedded = not env.get("TEST_DATABASE_URL")
    if embedded:
        env["TEST_DATABASE_URL"] = ensure_embedded(data_dir("test"))
    print(
        f"test database server: {'embedded .data/pg-test' if embedded else 'TEST_DATABASE_URL'}", flush=True
    )
    try:
        return subprocess.call(argv, env=env)
    finally:
        if embedded:
            stop_embedded(data_dir("test"))


if __name__ == "__main__":
    sys.exit(main())
