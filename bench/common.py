"""Shared by the benchmarks: one row shape, one table printer, and how to run a service to measure."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jiuzhu_devtools.services import UVICORN_HTTP

COLUMNS = ("name", "value", "unit", "reference", "ratio", "target", "ok")


def row(
    name: str,
    value: float,
    unit: str,
    reference: float | None = None,
    target: str = "",
    ok: bool | None = None,
) -> dict[str, Any]:
    ratio = (value / reference) if reference else None
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "reference": reference,
        "ratio": ratio,
        "target": target,
        "ok": ok,
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def print_table(rows: list[dict[str, Any]], title: str = "") -> None:
    if title:
        print(f"\n== {title} ==")
    cells = [[_fmt(r.get(c)) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c) for i, c in enumerate(COLUMNS)]
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for x in cells:
        print("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)))


# ---- what every benchmark that runs a service needs ---------------------------------------------

SECRET = "bench-secret-0123456789-abcdefghijklmnop"


def server_url() -> str:
    """The Postgres server benchmarks make their scratch databases on."""
    import os

    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )


@contextmanager
def scratch_database(kind: str, packages: list[str]) -> Iterator[str]:
    """A database of this benchmark's own, migrated with `packages`, dropped afterwards."""
    import os

    from jiuzhu_devtools.pg import drop_database, ensure_database
    from jiuzhu_kit.migrations import prepare

    server = server_url()
    name = f"jiuzhu_bench_{kind}_{os.getpid()}"
    url = ensure_database(server, name)
    try:
        prepare(packages, url)
        yield url
    finally:
        drop_database(server, name)


def uvicorn(
    app: str, port: int, env: dict[str, str], *, workers: int = 1, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """Start `app` (a factory) on loopback as a real uvicorn server."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--http",
        UVICORN_HTTP,
    ]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    cmd += ["--no-access-log", "--log-level", "warning", app]
    out = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=out)


class BusyCores:
    """How many of the machine's cores were busy (any process: servers, Postgres, the load generator,
    whatever else runs) while the block ran, from /proc/stat: `with BusyCores() as b: …; b.cores`.
    Where one process already keeps most cores busy, it bounds what a second can add."""

    def __enter__(self) -> BusyCores:
        import time

        self.start, self.t = _cpu_jiffies(), time.monotonic()
        self.cores = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        import os
        import time

        busy0, _ = self.start
        busy1, _ = _cpu_jiffies()
        seconds = time.monotonic() - self.t
        self.cores = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / seconds if seconds > 0 else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, idle) jiffies of all cores since boot (idle counts iowait as idle)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, idle


def stop(proc: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=timeout)


class RawHTTP:
    """One keep-alive HTTP/1.1 connection on asyncio streams: the lightest client there is, so a
    figure is the server's, not the client's (they share the machine's two cores). Reads bodies
    framed by Content-Length or chunked."""

    def __init__(self, reader: Any, writer: Any, host: str, port: int) -> None:
        self.reader, self.writer = reader, writer
        self.authority = f"{host}:{port}"  # the Host header's value
        self.address = (host, port)  # where to connect again

    @classmethod
    async def open(cls, host: str, port: int) -> RawHTTP:
        import asyncio

        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host, port)

    async def _reopen(self) -> None:
        import asyncio

        self.writer.close()
        self.reader, self.writer = await asyncio.open_connection(*self.address)

    def head(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        """The request's bytes up to the body (build once, send many times)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.authority}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        import asyncio

        self.writer.write(request)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError):
            # The server ended the keep-alive connection (nginx does after 1,000 requests): again,
            # once, on a new one.
            await self._reopen()
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        length, chunked = 0, False
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return int(status_line.split(b" ", 2)[1]), await self.reader.readexactly(length)
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            parts.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return int(status_line.split(b" ", 2)[1]), b"".join(p[:-2] for p in parts)

    def close(self) -> None:
        self.writer.close()
