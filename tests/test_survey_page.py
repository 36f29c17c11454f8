"""The survey page in a real browser (issue 17): Playwright drives the system's Chromium (never a
browser of its own) on a phone-sized screen, through the gateway of a real stack. A village worker
fills it with recipients for several codes in turn; a used and a wrong code get clear messages; the
survey's aggregate moves by the answers given. Also: every /docs lists its operations offline.

Chromium: `CHROMIUM` (a path) or `chromium` / `chromium-browser` / `google-chrome` on PATH; `.ci/run`
installs Debian's `chromium` when none is found and sets JIUZHU_REQUIRE_BROWSER, so CI never skips."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack
from tests.stories import uscc

PAGE = "/api/public/evaluation/survey"
DIV = "350802"


def _chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
async def phone() -> AsyncIterator[Any]:
    """A phone-sized page in the system's Chromium (the async API: the suite runs on one event loop)."""
    path = _chromium()
    if path is None:
        why = "no Chromium found (set CHROMIUM or install Debian's `chromium`; .ci/run installs it)"
        if os.environ.get("JIUZHU_REQUIRE_BROWSER"):  # CI (.ci/run): a missing browser is a failure
            pytest.fail(why)
        pytest.skip(why)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        # Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
        browser = await pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2
        )
        yield await context.new_page()
        await browser.close()


def _survey(gateway: str, bureau: dict[str, str], codes: int) -> tuple[str, list[str]]:
    with httpx.Client(base_url=gateway, timeout=10) as c:
        r = c.post(
            "/api/evaluation/surveys",
            json={
                "contract_id": str(uuid.uuid4()),
                "period": "page-test",
                "contractor_uscc": uscc("52", DIV, 901),
                "purchaser_division": DIV,
                "title": "社会救助经办服务满意度调查",
                "questions": [
                    {"key": "attitude", "text": "您对工作人员的服务态度满意吗？"},
                    {"key": "timeliness", "text": "您的申请是否得到及时办理？"},
                ],
                "min_sample": 2,
            },
            headers=bureau,
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        issued = c.post(f"/api/evaluation/surveys/{sid}/codes", json={"count": codes}, headers=bureau)
        assert issued.status_code == 201, issued.text
        return sid, list(issued.json()["codes"])


def _results(gateway: str, bureau: dict[str, str], sid: str) -> dict[str, Any]:
    r = httpx.get(f"{gateway}/api/evaluation/surveys/{sid}/results", headers=bureau, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _enter(page: Any, code: str) -> None:
    await page.fill("#code", code)
    await page.click("#start")


async def _answer(page: Any, values: dict[str, int]) -> None:
    await page.wait_for_selector("#step-questions:not([hidden])")
    assert await page.is_disabled("#submit")  # nothing chosen yet
    for key, value in values.items():
        await page.click(f'button[data-key="{key}"][data-value="{value}"]')
    await page.click("#submit")
    await page.wait_for_selector("#step-done:not([hidden])")


async def test_village_worker_fills_the_survey_for_several_codes(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]], phone: Any, tmp_path: Path
) -> None:
    bureau = auth("bureau", DIV)
    sid, codes = _survey(live_stack.gateway, bureau, 3)
    assert _results(live_stack.gateway, bureau, sid)["respondents"] == 0

    await phone.goto(live_stack.gateway + PAGE)
    assert await phone.title() == "服务对象满意度调查"
    assert float(await phone.eval_on_selector("body", "b => parseFloat(getComputedStyle(b).fontSize)")) >= 18
    # A wrong code: a clear message, still on the code step.
    await _enter(phone, "AAAA-BBBB-CCCC-DDDD")
    await phone.wait_for_selector("#msg:not([hidden])")
    assert await phone.inner_text("#msg") == "问卷码不正确，请核对后重新输入。"

    # First recipient: the questions of the survey, one scale each, submit once, thank-you.
    await _enter(phone, codes[0].lower())  # typed in lower case: still the code
    await phone.wait_for_selector("#step-questions:not([hidden])")
    assert await phone.inner_text("#title") == "社会救助经办服务满意度调查"
    assert await phone.locator("fieldset legend").all_inner_texts() == [
        "1. 您对工作人员的服务态度满意吗？",
        "2. 您的申请是否得到及时办理？",
    ]
    assert await phone.locator('button[data-key="attitude"]').count() == 5
    await _answer(phone, {"attitude": 5, "timeliness": 4})
    assert "感谢您的评价" in await phone.inner_text("#step-done")
    await phone.screenshot(path=str(tmp_path / "survey-thank-you.png"), full_page=True)

    # The next recipient on the same phone.
    await phone.click("#next")
    assert await phone.input_value("#code") == ""
    await _enter(phone, codes[1])
    await _answer(phone, {"attitude": 3, "timeliness": 2})

    # The first code again: refused, clearly.
    await phone.click("#next")
    await _enter(phone, codes[0])
    await phone.wait_for_selector("#msg:not([hidden])")
    assert await phone.inner_text("#msg") == "这个问卷码已经使用过了，每个码只能作答一次。"
    assert await phone.is_visible("#step-code") and not await phone.is_visible("#step-questions")
    await phone.screenshot(path=str(tmp_path / "survey-code-used.png"), full_page=True)
    assert (tmp_path / "survey-thank-you.png").stat().st_size > 10_000

    # The aggregate moved by exactly the two answers given.
    after = _results(live_stack.gateway, bureau, sid)
    assert after["respondents"] == 2 and after["codes_issued"] == 3
    assert after["questions"]["attitude"] == {"n": 2, "mean": "4.0000", "share_satisfied": "0.5000"}
    assert after["questions"]["timeliness"] == {"n": 2, "mean": "3.0000", "share_satisfied": "0.5000"}


async def test_a_scanned_link_opens_the_questions(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]], phone: Any
) -> None:
    """A QR code carries `#c=<code>&s=<survey>` (a fragment: never sent to a server or logged)."""
    bureau = auth("bureau", DIV)
    sid, codes = _survey(live_stack.gateway, bureau, 1)
    sent: list[str] = []
    phone.on("request", lambda req: sent.append(req.url))
    await phone.goto(f"{live_stack.gateway}{PAGE}#c={codes[0]}&s={sid}")
    await _answer(phone, {"attitude": 4, "timeliness": 4})
    assert all(codes[0] not in url for url in sent), sent
    assert _results(live_stack.gateway, bureau, sid)["respondents"] == 1


async def test_docs_list_operations_without_internet(live_stack: LiveStack, phone: Any) -> None:
    """Each service's and the gateway's /docs, with every request off the machine refused."""

    async def local_only(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1"):
            await route.continue_()
        else:
            await route.abort()

    await phone.context.route("**/*", local_only)
    for path in ("/docs", "/api/staffing/docs", "/api/procurement/docs", "/api/evaluation/docs"):
        await phone.goto(live_stack.gateway + path)
        await phone.wait_for_selector(
            ".opblock", timeout=90_000
        )  # the merged contract is 1.4 MB: slow to render on a loaded 2-core machine
        assert await phone.locator(".opblock").count() >= 5, path
