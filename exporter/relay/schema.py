"""The queue database's schema and its upgrades, versioned with SQLite's `user_version`.

Version 0 is the unversioned file written before versions existed (messages without a group key, no
`superseded` state). Every upgrade runs in one transaction: a crash in the middle leaves the old file.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

_NOTIFICATIONS = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    group_key TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_group ON notifications (channel, group_key, id);
"""

_MESSAGES_V1 = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    channel TEXT NOT NULL,
    group_key TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected', 'superseded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    received_at REAL NOT NULL,
    finished_at REAL,
    last_error TEXT
)
"""

_MESSAGE_INDEXES = """
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (channel, state, id);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (channel, group_key, state, id);
"""


class SchemaError(RuntimeError):
    """The queue file was written by a newer relay, or is not a relay queue."""


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Create the schema in a new file, or upgrade an older one to SCHEMA_VERSION."""
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"queue {path} has schema version {version}, newer than this relay's {SCHEMA_VERSION}; "
            "run the newer relay or move the file away"
        )
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for statement in _NOTIFICATIONS.split(";"):
            if statement.strip():
                db.execute(statement)
        if "messages" in tables:
            _upgrade_messages_from_v0(db)
        else:
            db.execute(_MESSAGES_V1)
        for statement in _MESSAGE_INDEXES.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _upgrade_messages_from_v0(db: sqlite3.Connection) -> None:
    """Rebuild `messages` with each row's group key (from its notification) and the wider state check."""
    db.execute("ALTER TABLE messages RENAME TO messages_v0")
    db.execute("DROP INDEX IF EXISTS messages_by_state")
    db.execute(_MESSAGES_V1)
    db.execute(
        "INSERT INTO messages (id, notification_id, channel, group_key, body, state, attempts,"
        " next_attempt_at, received_at, finished_at, last_error) "
        "SELECT m.id, m.notification_id, m.channel, COALESCE(n.group_key, ''), m.body, m.state, m.attempts,"
        " m.next_attempt_at, m.received_at, m.finished_at, m.last_error "
        "FROM messages_v0 AS m LEFT JOIN notifications AS n ON n.id = m.notification_id"
    )
    db.execute("DROP TABLE messages_v0")
