"""The queue file's schema version: today's unversioned file upgrades in place, a newer one is refused."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from exporter.relay.queue import DurableQueue
from exporter.relay.schema import SCHEMA_VERSION, SchemaError

# The schema relays wrote before versions existed (user_version 0), verbatim.
V0_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    group_key TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_group ON notifications (channel, group_key, id);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    received_at REAL NOT NULL,
    finished_at REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (channel, state, id);
"""


def write_v0_queue(path: Path, pending: list[tuple[str, str, dict[str, Any], float]]) -> None:
    """A queue file as the previous relay left it: (channel, group key, body, next_attempt_at) pending."""
    db = sqlite3.connect(path)
    db.executescript(V0_SCHEMA)
    now = time.time()
    for index, (channel, group, body, next_attempt_at) in enumerate(pending):
        cursor = db.execute(
            "INSERT INTO notifications (channel, group_key, dedup_key, received_at) VALUES (?, ?, ?, ?)",
            (channel, group, f"key{index}", now),
        )
        db.execute(
            "INSERT INTO messages (notification_id, channel, body, state, next_attempt_at, received_at)"
            " VALUES (?, ?, ?, 'pending', ?, ?)",
            (cursor.lastrowid, channel, json.dumps(body), next_attempt_at, now),
        )
    db.commit()
    db.close()


def test_todays_file_upgrades_keeping_every_message(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    write_v0_queue(
        path,
        [
            ("telegram", "g1", {"text": "a"}, 0.0),
            ("telegram", "g2", {"text": "b"}, 0.0),
            ("discord", "g1", {"content": "c"}, 0.0),
        ],
    )
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET state = 'delivered', finished_at = 1 WHERE body LIKE '%\"a\"%'")
    db.commit()
    db.close()
    queue = DurableQueue(path)
    assert queue._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {channel: entry.depth for channel, entry in queue.backlog().items()} == {
        "telegram": 1,
        "discord": 1,
    }
    assert queue.count("delivered") == 1
    due = queue.next_due("telegram", now=1.0).message
    assert due is not None
    assert due.body == {"text": "b"}
    # Group keys came over from the notifications: a newer state of g2 supersedes the upgraded message.
    result = queue.enqueue("telegram", "g2", "new", [{"text": "b2"}], now=2.0, dedup_window_seconds=60)
    assert result.superseded == 1
    queue.close()
    DurableQueue(path).close()  # opening an upgraded file again changes nothing


def test_a_file_from_a_newer_relay_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    DurableQueue(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(SchemaError, match=f"schema version {SCHEMA_VERSION + 1}, newer than"):
        DurableQueue(path)
    DurableQueue(path.with_name("other.sqlite3")).close()  # the failed open released its lock
    with pytest.raises(SchemaError):
        DurableQueue(path)
