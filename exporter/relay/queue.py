"""Durable SQLite queue of rendered chat messages.

A webhook is accepted only once its messages are committed here (WAL, synchronous=FULL), so a crash after
the 2xx loses nothing. Messages of a channel leave strictly in arrival order. Delivered and rejected rows are
kept for a while (for dedup and inspection), then pruned.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
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


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    channel: str
    body: dict[str, Any]
    attempts: int
    next_attempt_at: float
    received_at: float


@dataclass(frozen=True)
class EnqueueResult:
    duplicate: bool
    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class ChannelBacklog:
    depth: int
    oldest_received_at: float | None


class DurableQueue:
    """Thread-safe: every call takes one lock, so it can be driven from `asyncio.to_thread`."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 2000) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def enqueue(
        self,
        channel: str,
        group_key: str,
        dedup_key: str,
        bodies: Sequence[dict[str, Any]],
        now: float,
        dedup_window_seconds: float,
    ) -> EnqueueResult:
        """Store the messages of one webhook, unless it repeats the group's last accepted webhook."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute(
                    "SELECT dedup_key, received_at FROM notifications WHERE channel = ? AND group_key = ? "
                    "ORDER BY id DESC LIMIT 1",
                    (channel, group_key),
                ).fetchone()
                if last is not None and last[0] == dedup_key and now - last[1] < dedup_window_seconds:
                    self._db.execute("COMMIT")
                    return EnqueueResult(duplicate=True, message_ids=())
                cursor = self._db.execute(
                    "INSERT INTO notifications (channel, group_key, dedup_key, received_at)"
                    " VALUES (?, ?, ?, ?)",
                    (channel, group_key, dedup_key, now),
                )
                notification_id = cursor.lastrowid
                ids = []
                for body in bodies:
                    cursor = self._db.execute(
                        "INSERT INTO messages"
                        " (notification_id, channel, body, state, next_attempt_at, received_at)"
                        " VALUES (?, ?, ?, 'pending', ?, ?)",
                        (notification_id, channel, json.dumps(body, ensure_ascii=False), now, now),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return EnqueueResult(duplicate=False, message_ids=tuple(ids))

    def head(self, channel: str) -> QueuedMessage | None:
        """The oldest pending message of the channel, due or not (delivery is first in, first out)."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, channel, body, attempts, next_attempt_at, received_at FROM messages "
                "WHERE channel = ? AND state = 'pending' ORDER BY id LIMIT 1",
                (channel,),
            ).fetchone()
        if row is None:
            return None
        return QueuedMessage(
            id=row[0],
            channel=row[1],
            body=json.loads(row[2]),
            attempts=row[3],
            next_attempt_at=row[4],
            received_at=row[5],
        )

    def mark_delivered(self, message_id: int, now: float, attempts: int = 1) -> None:
        self._finish(message_id, "delivered", now, None, attempts)

    def mark_rejected(self, message_id: int, now: float, error: str, attempts: int = 1) -> None:
        self._finish(message_id, "rejected", now, error, attempts)

    def defer(self, message_id: int, attempts: int, next_attempt_at: float, error: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE messages SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND state = 'pending'",
                (attempts, next_attempt_at, error, message_id),
            )

    def backlog(self) -> dict[str, ChannelBacklog]:
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, COUNT(*), MIN(received_at) FROM messages"
                " WHERE state = 'pending' GROUP BY channel"
            ).fetchall()
        return {row[0]: ChannelBacklog(depth=row[1], oldest_received_at=row[2]) for row in rows}

    def count(self, state: str) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT COUNT(*) FROM messages WHERE state = ?", (state,)).fetchone()[0]
            )

    def prune(self, finished_before: float) -> int:
        """Forget finished messages and notifications older than `finished_before`.

        Each group's last notification stays, as the dedup reference.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._db.execute(
                    "DELETE FROM messages WHERE state != 'pending' AND finished_at < ?", (finished_before,)
                ).rowcount
                self._db.execute(
                    "DELETE FROM notifications WHERE received_at < ? "
                    "AND id NOT IN (SELECT notification_id FROM messages) "
                    "AND id NOT IN (SELECT MAX(id) FROM notifications GROUP BY channel, group_key)",
                    (finished_before,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(removed)

    def _finish(self, message_id: int, state: str, now: float, error: str | None, attempts: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE messages SET state = ?, attempts = attempts + ?, finished_at = ?, last_error = ? "
                "WHERE id = ? AND state = 'pending'",
                (state, attempts, now, error, message_id),
            )
