"""The node reader's position, kept across restarts in a small JSON file (written atomically).

A restart then resumes at the byte after the last line counted: fills written while the exporter was
down are counted once, none twice. The block number guards the rest: a line at or below it is never
counted again (a file re-read after truncation, an offset that no longer matches).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from exporter.node.follower import Position

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedPosition:
    stream: str
    position: Position
    block_number: int | None


class PositionFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: SavedPosition | None = None

    def load(self, stream: str) -> SavedPosition | None:
        try:
            data = json.loads(self.path.read_text())
            saved = SavedPosition(
                stream=str(data["stream"]),
                position=Position(str(data["file"]), int(data["offset"])),
                block_number=None if data.get("block_number") is None else int(data["block_number"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "node position file %s unreadable (%s): reading starts at the newest block", self.path, exc
            )
            return None
        if saved.stream != stream:
            log.info("node position file %s is for %s, not %s: ignored", self.path, saved.stream, stream)
            return None
        self._last = saved
        return saved

    def save(self, saved: SavedPosition) -> None:
        if saved == self._last:
            return
        data = {
            "stream": saved.stream,
            "file": saved.position.file,
            "offset": saved.position.offset,
            "block_number": saved.block_number,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, self.path)
        self._last = saved
