"""Alertmanager webhook payload, version 4, validated strictly enough to reject anything malformed."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

AlertStatus = Literal["firing", "resolved"]


class _Payload(BaseModel):
    # Unknown keys are tolerated (Alertmanager may add fields within version 4); known ones must be right.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Alert(_Payload):
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime = Field(strict=False)
    endsAt: datetime = Field(strict=False)
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1)

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class WebhookPayload(_Payload):
    version: Literal["4"]
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: AlertStatus
    receiver: str
    groupLabels: dict[str, str]
    commonLabels: dict[str, str]
    commonAnnotations: dict[str, str]
    externalURL: str
    alerts: list[Alert] = Field(min_length=1)

    def dedup_key(self) -> str:
        """Identity of this notification: group, status and each alert's fingerprint with its status."""
        alerts = sorted(f"{alert.fingerprint}:{alert.status}" for alert in self.alerts)
        material = json.dumps([self.groupKey, self.status, alerts], separators=(",", ":"))
        return hashlib.sha256(material.encode()).hexdigest()


class PayloadError(ValueError):
    """The body is not a valid Alertmanager version 4 webhook; the message says which field is wrong."""


def parse_payload(body: bytes) -> WebhookPayload:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise PayloadError("body must be a JSON object (an Alertmanager webhook payload)")
    try:
        return WebhookPayload.model_validate(document)
    except ValidationError as exc:
        raise PayloadError(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "(body)"
        problems.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid Alertmanager webhook payload: " + "; ".join(problems) + suffix
