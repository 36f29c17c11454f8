"""Who reads a challenge: whoever may read its project (project/policy.py) reads it with the project
(`GET /projects/{id}/challenges`); a challenge has no read path of its own."""

from __future__ import annotations

from jiuzhu_kit.errors import NotFound

AGGREGATE = "challenge"


class ChallengeNotFound(NotFound):
    code = "CHALLENGE_NOT_FOUND"
    zh = "未找到该质疑"
    en = "Challenge not found"
