"""Durable SQLite queue of rendered chat messages.

A webhook is accepted only once its messages are committed here (WAL, synchronous=FULL), so a crash after
the 2xx loses nothing. Within a group a channel's messages leave in arrival order; across groups the next
message that is due goes first, so one message waiting for a retry never holds up the others. A newer
notification of a group supersedes the group's messages that are still waiting. Delivered, rejected and
superseded rows are kept for a while (for dedup and inspection), then pruned.

One process owns a queue file: an exclusive lock on the file itself (whatever name reaches it) is taken on
open.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exporter.relay.schema import migrate

FINISHED_STATES = ("delivered", "rejected", "superseded")


class QueueInUseError(RuntimeError):
    """Another process holds the queue file; two senders on one queue would post duplicates."""


class QueueFullError(RuntimeError):
    """The channel already holds `max_pending` waiting messages."""


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
    superseded: int = 0


@dataclass(frozen=True)
class ChannelBacklog:
    depth: int
    oldest_received_at: float | None


@dataclass(frozen=True)
class NextMessage:
    """The message to send now, or when the earliest waiting one becomes due (both None: queue empty)."""

    message: QueuedMessage | None
    due_at: float | None


_COLUMNS = "id, channel, body, attempts, next_attempt_at, received_at"
# A message is its group's head when no older message of the same group and channel is still waiting.
_GROUP_HEAD = (
    "channel = ? AND state = 'pending' AND NOT EXISTS (SELECT 1 FROM messages AS older "
    "WHERE older.channel = messages.channel AND older.group_key = messages.group_key "
    "AND older.state = 'pending' AND older.id < messages.id)"
)


class DurableQueue:
    """Thread-safe: every call takes one lock, so it can be driven from `asyncio.to_thread`."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 2000) -> None:
        self._lock = threading.Lock()
        self._lock_file = _claim(Path(path))
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            migrate(self._db, str(path))
        except BaseException:
            self._lock_file.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()

    def enqueue(
        self,
        channel: str,
        group_key: str,
        dedup_key: str,
        bodies: Sequence[dict[str, Any]],
        now: float,
        dedup_window_seconds: float,
        max_pending: int | None = None,
    ) -> EnqueueResult:
        """Store the messages of one webhook, unless it repeats the group's last accepted webhook.

        Messages of the group still waiting are superseded: the newer notification carries the group's state.
        Raises QueueFullError when the channel would hold more than `max_pending` waiting messages.
        """
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
                superseded = self._db.execute(
                    "UPDATE messages SET state = 'superseded', finished_at = ?, last_error = ? "
                    "WHERE channel = ? AND group_key = ? AND state = 'pending'",
                    (now, f"superseded by notification {notification_id}", channel, group_key),
                ).rowcount
                if max_pending is not None:
                    (pending,) = self._db.execute(
                        "SELECT COUNT(*) FROM messages WHERE channel = ? AND state = 'pending'", (channel,)
                    ).fetchone()
                    if pending + len(bodies) > max_pending:
                        raise QueueFullError(
                            f"{channel} queue holds {pending} waiting messages; max_queue_messages is "
                            f"{max_pending}"
                        )
                ids = []
                for body in bodies:
                    cursor = self._db.execute(
                        "INSERT INTO messages (notification_id, channel, group_key, body, state,"
                        " next_attempt_at, received_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                        (notification_id, channel, group_key, json.dumps(body, ensure_ascii=False), now, now),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return EnqueueResult(duplicate=False, message_ids=tuple(ids), superseded=int(superseded))

    def head(self, channel: str) -> QueuedMessage | None:
        """The oldest waiting message of the channel, due or not (for inspection and tests)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE channel = ? AND state = 'pending' "
                "ORDER BY id LIMIT 1",
                (channel,),
            ).fetchone()
        return _message(row) if row is not None else None

    def next_due(self, channel: str, now: float) -> NextMessage:
        """The oldest group head that is due at `now`; otherwise when the earliest group head falls due."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE {_GROUP_HEAD} AND next_attempt_at <= ? "
                "ORDER BY id LIMIT 1",
                (channel, now),
            ).fetchone()
            if row is not None:
                return NextMessage(_message(row), None)
            (due_at,) = self._db.execute(
                f"SELECT MIN(next_attempt_at) FROM messages WHERE {_GROUP_HEAD}", (channel,)
            ).fetchone()
        return NextMessage(None, due_at)

    def mark_delivered(self, message_id: int, now: float, attempts: int = 1) -> None:
        # A message superseded while its send was in flight was delivered all the same.
        self._finish(message_id, "delivered", now, None, attempts)

    def mark_rejected(self, message_id: int, now: float, error: str, attempts: int = 1) -> None:
        self._finish(message_id, "rejected", now, error, attempts)

    def is_pending(self, message_id: int) -> bool:
        with self._lock:
            row = self._db.execute("SELECT state FROM messages WHERE id = ?", (message_id,)).fetchone()
        return row is not None and row[0] == "pending"

    def defer(self, message_id: int, attempts: int, next_attempt_at: float, error: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE messages SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND state = 'pending'",
                (attempts, next_attempt_at, error, message_id),
            )

    def limit_waits(self, latest: float) -> int:
        """Bring every waiting message due later than `latest` forward to it.

        Files written before waits were capped can hold a platform's `retry_after=1e9` in a message.
        """
        with self._lock:
            return int(
                self._db.execute(
                    "UPDATE messages SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?",
                    (latest, latest),
                ).rowcount
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
                self._rollback()
                raise
        return int(removed)

    def _rollback(self) -> None:
        # SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR); a second ROLLBACK would
        # raise "no transaction is active" and hide the real cause.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _finish(
        self,
        message_id: int,
        state: str,
        now: float,
        error: str | None,
        attempts: int,
    ) -> None:
        """Record what the platform did with a message sent, also if it was superseded meanwhile."""
        with self._lock:
            self._db.execute(
                "UPDATE messages SET state = ?, attempts = attempts + ?, finished_at = ?, last_error = ? "
                "WHERE id = ? AND state IN ('pending', 'superseded')",
                (state, attempts, now, error, message_id),
            )


def _message(row: tuple[Any, ...]) -> QueuedMessage:
    return QueuedMessage(
        id=row[0],
        channel=row[1],
        body=json.loads(row[2]),
        attempts=row[3],
        next_attempt_at=row[4],
        received_at=row[5],
    )


class _Claim:
    """The queue's two locks; closed after the database connection (see _claim)."""

    def __init__(self, database_fd: int, pid_file: Any) -> None:
        self._database_fd = database_fd
        self._pid_file = pid_file

    def close(self) -> None:
        self._pid_file.close()
        os.close(self._database_fd)


def _claim(path: Path) -> _Claim:
    """Exclusive, non-blocking locks, released when closed or when the process dies.

    The lock that counts is a flock on the database file itself: it belongs to the file (its inode),
    so a relay reaching the same file by another name (a symlink, a hard link, a bind mount) is refused
    too. Its descriptor stays open until after SQLite has closed, because closing a descriptor of the
    file drops the process' POSIX locks, which SQLite uses. `<real path>.lock` holds the owner's pid for
    the message, and its own flock refuses a relay of an earlier version that locks only that file.
    """
    real = Path(os.path.realpath(path))
    lock_path = real.with_name(real.name + ".lock")
    database_fd = os.open(real, os.O_RDWR | os.O_CREAT, 0o644)
    handle = None
    try:
        fcntl.flock(database_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle = lock_path.open("a+")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = "unknown"
        if lock_path.exists():
            holder = lock_path.read_text(encoding="utf-8", errors="replace").strip() or holder
        if handle is not None:
            handle.close()
        os.close(database_fd)
        raise QueueInUseError(
            f"queue {path} is in use by another relay process (pid {holder}, lock on {real}); "
            "run exactly one relay per queue file (docs/operations.md: Scaling and high availability)"
        ) from None
    except BaseException:
        if handle is not None:
            handle.close()
        os.close(database_fd)
        raise
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return _Claim(database_fd, handle)
