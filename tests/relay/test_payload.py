"""The webhook model against Alertmanager 0.25's real requests, and the dedup key."""

from __future__ import annotations

import copy
import json

import pytest

from exporter.relay.payload import PayloadError, parse_payload
from tests.relay.harness import fixture_body


def encode(body: object) -> bytes:
    return json.dumps(body).encode()


def test_captured_requests_parse() -> None:
    firing = parse_payload(encode(fixture_body("am025_webhook_firing")))
    resolved = parse_payload(encode(fixture_body("am025_webhook_resolved")))
    assert firing.status == "firing"
    assert resolved.status == "resolved"
    assert firing.alerts[0].fingerprint == "becd918a95448788"
    assert firing.alerts[0].annotations["summary"] == "Margin ratio 95% <b>&"
    assert resolved.alerts[0].endsAt > resolved.alerts[0].startsAt


def test_dedup_key_is_stable_for_redeliveries_and_differs_on_change() -> None:
    body = fixture_body("am025_webhook_firing")
    redelivered = copy.deepcopy(body)
    redelivered["receiver"] = "other-peer"  # an HA peer or a retry: same group, status and alerts
    assert parse_payload(encode(body)).dedup_key() == parse_payload(encode(redelivered)).dedup_key()
    resolved = parse_payload(encode(fixture_body("am025_webhook_resolved")))
    assert resolved.dedup_key() != parse_payload(encode(body)).dedup_key()
    grown = copy.deepcopy(body)
    grown["alerts"].append({**body["alerts"][0], "fingerprint": "0000000000000001"})
    assert parse_payload(encode(grown)).dedup_key() != parse_payload(encode(body)).dedup_key()


def test_dedup_key_ignores_alert_order() -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"].append({**body["alerts"][0], "fingerprint": "0000000000000001"})
    swapped = copy.deepcopy(body)
    swapped["alerts"].reverse()
    assert parse_payload(encode(body)).dedup_key() == parse_payload(encode(swapped)).dedup_key()


def test_dedup_key_sees_per_alert_status() -> None:
    body = fixture_body("am025_webhook_firing")
    body["alerts"].append({**body["alerts"][0], "fingerprint": "0000000000000001"})
    one_resolved = copy.deepcopy(body)
    one_resolved["alerts"][1]["status"] = "resolved"
    assert parse_payload(encode(body)).dedup_key() != parse_payload(encode(one_resolved)).dedup_key()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b: b.update(version="3"), "version: Input should be '4'"),
        (lambda b: b.update(alerts=[]), "alerts: List should have at least 1 item"),
        (lambda b: b["alerts"][0].pop("fingerprint"), "alerts.0.fingerprint: Field required"),
        (
            lambda b: b["alerts"][0]["labels"].update(value=1),
            "alerts.0.labels.value: Input should be a valid string",
        ),
        (lambda b: b.update(status="pending"), "status: Input should be 'firing' or 'resolved'"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts.0.startsAt"),
        (lambda b: b.pop("groupKey"), "groupKey: Field required"),
    ],
)
def test_malformed_payloads_are_named(mutate, expected: str) -> None:
    body = fixture_body("am025_webhook_firing")
    mutate(body)
    with pytest.raises(PayloadError, match="invalid Alertmanager webhook payload") as caught:
        parse_payload(encode(body))
    assert expected in str(caught.value)


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_non_object_bodies_are_refused(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="JSON"):
        parse_payload(raw)
