"""jiuzhu_kit.waiting: a bounded wait that never loses a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from jiuzhu_kit import waiting


async def test_a_cancellation_that_meets_the_event_is_kept() -> None:
    """The event set and the task cancelled in one turn of the loop (a sender's deliveries, cancelled
    with it, set its wake-up event as they end): the task ends cancelled, it does not run on."""
    event = asyncio.Event()
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            await waiting.wait(event, 10)
            event.clear()
            rounds += 1

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)  # waiting
    event.set()
    task.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_bound_and_the_event() -> None:
    event = asyncio.Event()
    assert await waiting.wait(event, 0.01) is False
    event.set()
    assert await waiting.wait(event, 10) is True
