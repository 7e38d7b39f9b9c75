"""The few Prometheus HTTP API calls a backtest needs: range and instant queries, and the loaded rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

Labels = dict[str, str]


@dataclass(frozen=True)
class Series:
    labels: Labels
    times: list[float]  # epoch seconds
    values: list[float]


@dataclass(frozen=True)
class AlertingRule:
    name: str
    expr: str
    labels: Labels
    duration: float  # `for`, seconds


class PrometheusAPI:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout
        self._client = httpx.Client(timeout=timeout)
        # Many alerts of one rule start at one evaluation: one instant query answers them all.
        self._instant: dict[tuple[str, float], list[tuple[Labels, float]]] = {}

    def _get(self, path: str, params: dict[str, str]) -> Any:
        response = self._client.get(f"{self._url}{path}", params=params)
        if response.status_code >= 400:
            raise RuntimeError(f"Prometheus {path} {params.get('query', '')!r}: {response.text[:500]}")
        body = response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus {path}: {body.get('error')}")
        return body["data"]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        data = self._get(
            "/api/v1/query_range",
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:.3f}"},
        )
        return [
            Series(
                labels=dict(item["metric"]),
                times=[float(t) for t, _ in item["values"]],
                values=[float(v) for _, v in item["values"]],
            )
            for item in data["result"]
        ]

    def query(self, expr: str, at: float) -> list[tuple[Labels, float]]:
        key = (expr, round(at, 3))
        if key not in self._instant:
            data = self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
            vector = data["result"] if data["resultType"] == "vector" else []
            self._instant[key] = [(dict(item["metric"]), float(item["value"][1])) for item in vector]
        return self._instant[key]

    def alerting_rules(self) -> list[AlertingRule]:
        data = self._get("/api/v1/rules", {"type": "alert"})
        return [
            AlertingRule(
                name=rule["name"],
                expr=rule["query"],
                labels=dict(rule.get("labels") or {}),
                duration=float(rule.get("duration") or 0),
            )
            for group in data["groups"]
            for rule in group["rules"]
            if rule.get("type") == "alerting"
        ]
