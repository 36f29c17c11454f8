"""Development-only tools (embedded Postgres, `make run`, tokens, the test plugin)."""

from pathlib import Path


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "services").is_dir():
            return parent
    return Path.cwd()
