"""The durable queue: persistence across reopen, FIFO, dedup against the group's last webhook, pruning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from exporter.relay.queue import DurableQueue, NextMessage, QueueFullError


@pytest.fixture
def queue(tmp_path: Path) -> DurableQueue:
    return DurableQueue(tmp_path / "q.sqlite3")


def test_messages_survive_reopen_in_order(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    first = DurableQueue(path)
    first.enqueue("telegram", "g1", "k1", [{"text": "a"}, {"text": "b"}], now=100.0, dedup_window_seconds=60)
    first.enqueue("telegram", "g2", "k2", [{"text": "c"}], now=101.0, dedup_window_seconds=60)
    first.close()
    reopened = DurableQueue(path)
    head = reopened.head("telegram")
    assert head is not None
    assert head.body == {"text": "a"}
    assert head.received_at == 100.0
    reopened.mark_delivered(head.id, now=102.0)
    texts = []
    while (message := reopened.head("telegram")) is not None:
        texts.append(message.body["text"])
        reopened.mark_delivered(message.id, now=103.0)
    assert texts == ["b", "c"]
    assert reopened.count("delivered") == 3


def test_channels_are_independent(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "k", [{"text": "t"}], now=1.0, dedup_window_seconds=60)
    queue.enqueue("discord", "g", "k", [{"content": "d"}], now=1.0, dedup_window_seconds=60)
    head = queue.head("discord")
    assert head is not None
    assert head.body == {"content": "d"}
    assert {channel: b.depth for channel, b in queue.backlog().items()} == {"telegram": 1, "discord": 1}


def test_redelivery_within_window_is_a_duplicate(queue: DurableQueue) -> None:
    assert not queue.enqueue(
        "telegram", "g", "k", [{"text": "a"}], now=0.0, dedup_window_seconds=60
    ).duplicate
    assert queue.enqueue("telegram", "g", "k", [{"text": "a"}], now=59.0, dedup_window_seconds=60).duplicate
    # After the window Alertmanager's repeat_interval reminder is a new notification (which supersedes
    # the unsent first one).
    assert not queue.enqueue(
        "telegram", "g", "k", [{"text": "a"}], now=61.0, dedup_window_seconds=60
    ).duplicate
    assert queue.backlog()["telegram"].depth == 1
    assert queue.count("superseded") == 1


def test_flapping_group_is_not_mistaken_for_a_redelivery(queue: DurableQueue) -> None:
    for now, key in [(0.0, "firing"), (1.0, "resolved"), (2.0, "firing")]:
        assert not queue.enqueue(
            "telegram", "g", key, [{"text": key}], now=now, dedup_window_seconds=600
        ).duplicate
        message = queue.head("telegram")
        assert message is not None
        queue.mark_delivered(message.id, now=now)  # each state sent before the next arrives
    assert queue.count("delivered") == 3


def test_duplicates_are_found_after_delivery_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    queue = DurableQueue(path)
    queue.enqueue("discord", "g", "k", [{"content": "a"}], now=0.0, dedup_window_seconds=600)
    message = queue.head("discord")
    assert message is not None
    queue.mark_delivered(message.id, now=1.0)
    queue.close()
    assert DurableQueue(path).enqueue("discord", "g", "k", [{"content": "a"}], 2.0, 600).duplicate


def test_defer_keeps_the_message_and_counts_attempts(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "k", [{"text": "a"}], now=0.0, dedup_window_seconds=60)
    head = queue.head("telegram")
    assert head is not None
    queue.defer(head.id, attempts=3, next_attempt_at=50.0, error="server_error: 502")
    again = queue.head("telegram")
    assert again is not None
    assert again.id == head.id
    assert again.attempts == 3
    assert again.next_attempt_at == 50.0
    assert queue.backlog()["telegram"].oldest_received_at == 0.0


def test_rejected_messages_leave_the_backlog(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "k", [{"text": "a"}, {"text": "b"}], now=0.0, dedup_window_seconds=60)
    head = queue.head("telegram")
    assert head is not None
    queue.mark_rejected(head.id, now=1.0, error="rejected: Bad Request")
    assert queue.backlog()["telegram"].depth == 1
    assert queue.count("rejected") == 1


def test_prune_forgets_old_finished_rows_but_keeps_dedup_reference(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "k", [{"text": "a"}], now=0.0, dedup_window_seconds=1e9)
    queue.enqueue("telegram", "g2", "k2", [{"text": "b"}], now=0.0, dedup_window_seconds=1e9)
    first = queue.head("telegram")
    assert first is not None
    queue.mark_delivered(first.id, now=1.0)
    assert queue.prune(finished_before=10.0) == 1
    assert queue.backlog()["telegram"].depth == 1  # the pending one stays
    assert queue.enqueue("telegram", "g", "k", [{"text": "a"}], now=5.0, dedup_window_seconds=1e9).duplicate


def test_enqueue_is_all_or_nothing(tmp_path: Path) -> None:
    queue = DurableQueue(tmp_path / "q.sqlite3")
    with pytest.raises(TypeError):
        queue.enqueue("telegram", "g", "k", [{"text": "a"}, {"text": object()}], 0.0, 60)
    assert queue.backlog() == {}
    assert not queue.enqueue("telegram", "g", "k", [{"text": "a"}], 0.0, 60).duplicate


def test_locked_database_raises_sqlite_error(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    queue = DurableQueue(path, busy_timeout_ms=50)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            queue.enqueue("telegram", "g", "k", [{"text": "a"}], 0.0, 60)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_the_next_due_message_goes_first_not_the_oldest(queue: DurableQueue) -> None:
    """A message waiting for its next round (or a platform's pause) must not hold up other groups."""
    queue.enqueue("telegram", "g1", "k1", [{"text": "waits"}], now=0.0, dedup_window_seconds=60)
    queue.enqueue("telegram", "g2", "k2", [{"text": "due"}], now=1.0, dedup_window_seconds=60)
    waiting = queue.head("telegram")
    assert waiting is not None
    queue.defer(waiting.id, attempts=4, next_attempt_at=1e9, error="rate_limited")
    upcoming = queue.next_due("telegram", now=2.0)
    assert upcoming.message is not None
    assert upcoming.message.body == {"text": "due"}
    queue.mark_delivered(upcoming.message.id, now=2.0)
    assert queue.next_due("telegram", now=2.0) == NextMessage(None, 1e9)
    assert queue.limit_waits(latest=100.0) == 1
    assert queue.next_due("telegram", now=2.0).due_at == 100.0


def test_within_a_group_order_is_kept_even_when_a_later_part_is_due(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "k", [{"text": "1/2"}, {"text": "2/2"}], now=0.0, dedup_window_seconds=60)
    first = queue.head("telegram")
    assert first is not None
    queue.defer(first.id, attempts=1, next_attempt_at=50.0, error="server_error")
    assert queue.next_due("telegram", now=10.0) == NextMessage(None, 50.0)
    due = queue.next_due("telegram", now=50.0).message
    assert due is not None
    assert due.body == {"text": "1/2"}


def test_a_newer_notification_supersedes_the_waiting_messages_of_its_group(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g", "firing", [{"text": "a"}, {"text": "b"}], 0.0, 60)
    queue.enqueue("telegram", "other", "x", [{"text": "other"}], 0.0, 60)
    queue.enqueue("discord", "g", "firing", [{"content": "d"}], 0.0, 60)
    result = queue.enqueue("telegram", "g", "resolved", [{"text": "resolved"}], 1.0, 60)
    assert result.superseded == 2
    assert queue.count("superseded") == 2
    assert {channel: entry.depth for channel, entry in queue.backlog().items()} == {
        "telegram": 2,
        "discord": 1,
    }


def test_a_full_channel_refuses_and_keeps_what_it_has(queue: DurableQueue) -> None:
    queue.enqueue("telegram", "g1", "k1", [{"text": "a"}, {"text": "b"}], 0.0, 60, max_pending=3)
    with pytest.raises(QueueFullError, match="holds 2 waiting messages; max_queue_messages is 3"):
        queue.enqueue("telegram", "g2", "k2", [{"text": "c"}, {"text": "d"}], 0.0, 60, max_pending=3)
    assert queue.backlog()["telegram"].depth == 2
    # The same group's newer state replaces its waiting messages, so it fits.
    assert queue.enqueue("telegram", "g1", "k3", [{"text": "e"}], 1.0, 60, max_pending=3).superseded == 2
