"""The Grafana dashboard (deploy/grafana) names only metrics a running stack really exports: every
metric in its queries appears in the /metrics of the gateway or of a service (the CloudNativePG
exporter's, which the operator serves, excepted), and it covers request rate, errors, latency per
route, pool usage, webhook lag and feed lag."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from jiuzhu_devtools.testing import LiveStack

DASHBOARD = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "jiuzhu-dashboard.json"
OPERATOR = "cnpg_"  # CloudNativePG's exporter on the Postgres pods, not one of ours
WORD = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")  # snake_case words: metrics, some labels, functions
FUNCTIONS = {"histogram_quantile", "label_values"}
COVERS = {
    "request rate": "http_requests_total",
    "latency per route": "http_request_duration_seconds_bucket",
    "pool usage": "db_pool_connections",
    "webhook lag": "webhook_delivery_lag_seconds",
    "feed lag": "feed_horizon_lag_seconds",
}


_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


def _metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL query: its snake_case words less functions and label names
    (those compared in a selector or grouped by) and quoted label values."""
    expr = re.sub(r'"[^"]*"', '""', expr)
    labels = set(re.findall(r"([a-z_]+)\s*(?:=~|!=|=)", expr))
    labels |= {w.strip() for group in re.findall(r"by \(([^)]*)\)", expr) for w in group.split(",")}
    return set(WORD.findall(expr)) - FUNCTIONS - labels


def _exported(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        # A labelled family with no sample yet (no upstream has failed) still declares its type.
        names.update(family.name + s for s in _SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_dashboard_metrics_exist_on_a_running_stack(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    used = {n for e in exprs for n in _metric_names(e)}
    assert len(used) >= 8
    with httpx.Client(timeout=60) as c:
        # Some traffic first: a labelled series appears with its first sample.
        h = auth("bureau", "441521")
        for path in ("/api/procurement/projects", "/api/evaluation/templates", "/api/staffing/packs"):
            c.get(f"{live_stack.gateway}{path}", headers=h)
        exported = _exported(c.get(f"{live_stack.gateway}/metrics").text)
        for schema in live_stack.ports:
            exported |= _exported(c.get(f"{live_stack.url(schema)}/metrics").text)
    ours = {n for n in used if not n.startswith(OPERATOR)}
    assert ours <= exported, sorted(ours - exported)
    for what, name in COVERS.items():
        assert name in used, f"the dashboard has no panel for {what} ({name})"
    # Errors: the 5xx share by status label.
    assert any('status=~"5' in e for e in exprs)
    # And the per-route panels group by the route label.
    assert any("route" in e and "http_request_duration_seconds_bucket" in e for e in exprs)
