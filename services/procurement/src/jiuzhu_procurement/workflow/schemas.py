"""The engine's own request and response: a transition asked for, and a machine described."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TransitionIn(BaseModel):
    """状态迁移 A workflow transition to take, with its data."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=40)
    reason: str | None = Field(default=None, max_length=4000)
    data: dict[str, object] | None = None


class WorkflowOut(BaseModel):
    """流程 A workflow: states and transitions."""

    aggregate: str
    initial: str
    states: list[str]
    transitions: list[dict[str, Any]]
    mermaid: str
