"""Schema-valid cases that start from an operation's explicit example.

Path parameters stay the example's (real records); in the body and the query, hypothesis replaces
one or more of the example's top-level fields with generated, schema-valid values. A mix of valid
fields stays schema-valid, and most cases then get past "no such record" into the business rules.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from schemathesis.hooks import HookContext, HookDispatcher, HookScope

from tests.fuzzing.examples import Example


def _merge(example: Any) -> Any:
    def flatmap(ctx: HookContext, generated: Any) -> st.SearchStrategy[Any]:
        if not isinstance(example, dict) or not isinstance(generated, dict) or not generated:
            return st.just(generated)
        keys = sorted(generated)
        return st.sets(st.sampled_from(keys), min_size=1).map(
            lambda chosen: {**example, **{k: generated[k] for k in chosen}}
        )

    return flatmap


def positive_strategy_kwargs(ex: Example) -> dict[str, Any]:
    hooks = HookDispatcher(scope=HookScope.TEST)
    if ex.body is not None:
        hooks.register_hook_with_name(_merge(ex.body), "flatmap_body")
    if ex.query:
        hooks.register_hook_with_name(_merge(ex.query), "flatmap_query")
    kwargs: dict[str, Any] = {"hooks": hooks}
    if ex.path:
        kwargs["path_parameters"] = ex.path
    return kwargs
