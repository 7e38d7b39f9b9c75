"""Alertmanager webhook payload, version 4, validated strictly enough to reject anything malformed."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

AlertStatus = Literal["firing", "resolved"]


class _Payload(BaseModel):
    # Unknown keys are tolerated (Alertmanager may add fields within version 4); known ones must be right.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Alert(_Payload):
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    # Alertmanager always sends RFC 3339 with an offset; a naive time cannot be compared or shown in UTC.
    startsAt: AwareDatetime = Field(strict=False)
    endsAt: AwareDatetime = Field(strict=False)
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


MAX_NESTING = 32  # a version-4 payload is 4 levels deep


def parse_payload(body: bytes) -> WebhookPayload:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise PayloadError("body is not JSON the relay can read: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's 4,300-digit conversion limit
        raise PayloadError(f"body is not JSON the relay can read: {exc}") from exc
    if not isinstance(document, dict):
        raise PayloadError("body must be a JSON object (an Alertmanager webhook payload)")
    problem = _unusable_text(document)
    if problem:
        raise PayloadError(f"invalid Alertmanager webhook payload: {problem}")
    try:
        return WebhookPayload.model_validate(document)
    except ValidationError as exc:
        raise PayloadError(_describe(exc)) from exc


def _unusable_text(document: Any) -> str | None:
    """Nesting beyond MAX_NESTING, or a string that is not valid Unicode (a lone surrogate from `\\ud800`
    cannot be stored or sent); iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(document, "(body)", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_NESTING:
            return f"{where}: nested deeper than {MAX_NESTING} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    return f"{where}: a key is not valid Unicode (lone surrogate)"
                stack.append((item, f"{where}.{key}" if depth else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{index}", depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str) and not _encodable(value):
            return f"{where}: not valid Unicode (lone surrogate)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "(body)"
        problems.append(f"{location}: {error['msg']}")
    more = exc.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid Alertmanager webhook payload: " + "; ".join(problems) + suffix
