"""Waiting with a bound in background loops that are stopped by cancellation."""

from __future__ import annotations

import asyncio


async def wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait for `event` at most `seconds`; whether it was set.

    asyncio.timeout, never asyncio.wait_for: on Python 3.11, wait_for loses a cancellation that
    arrives just as the event is set (the loop then runs on, and whoever awaits its end waits for
    ever: a test's teardown hung 300 s on a webhook sender whose deliveries, cancelled with it, set
    its wake-up event as they ended)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
