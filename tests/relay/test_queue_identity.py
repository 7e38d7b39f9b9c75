"""One relay per queue file, whatever name reaches the file: a symlink, a hard link, a bind mount.

Keyed on the path string, a second relay reaching the queue through a symlink started, and 10 webhooks
became 20 chat messages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter.relay.queue import DurableQueue, QueueInUseError
from tests.support.binaries import REPO_ROOT


@pytest.mark.parametrize("link", ["symlink", "hardlink", "symlinked_directory"])
def test_a_second_name_of_the_same_queue_is_refused(tmp_path: Path, link: str) -> None:
    real = tmp_path / "real" / "q.db"
    real.parent.mkdir()
    first = DurableQueue(real)
    other = tmp_path / "other.db"
    if link == "symlink":
        other.symlink_to(real)
    elif link == "hardlink":
        os.link(real, other)
    else:
        (tmp_path / "alias").symlink_to(real.parent)
        other = tmp_path / "alias" / "q.db"
    # A hard link has no name in common with the first, so the owner's pid cannot be found for it.
    holder = "unknown" if link == "hardlink" else str(os.getpid())
    with pytest.raises(QueueInUseError, match=rf"in use by another relay process \(pid {holder}"):
        DurableQueue(other)
    first.close()
    DurableQueue(other).close()  # free again once the owner closes it


_BIND_MOUNT_SCRIPT = textwrap.dedent(
    """
    import subprocess, sys
    from exporter.relay.queue import DurableQueue, QueueInUseError
    source, target = sys.argv[1], sys.argv[2]
    subprocess.run(["mount", "--bind", source, target], check=True)
    first = DurableQueue(source + "/q.db")
    try:
        DurableQueue(target + "/q.db")
    except QueueInUseError as exc:
        print("refused:", exc)
    else:
        print("opened twice")
    first.close()
    """
)


def test_a_bind_mount_of_the_queue_directory_is_refused(tmp_path: Path) -> None:
    """In a private mount namespace (unshare), so the bind mount never outlives the test."""
    unshare = shutil.which("unshare")
    assert unshare is not None, "util-linux unshare is needed for this test"
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    namespace = ["--mount"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--mount"]
    result = subprocess.run(
        [unshare, *namespace, sys.executable, "-c", _BIND_MOUNT_SCRIPT, str(source), str(target)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused: "), result.stdout
    assert "in use by another relay process" in result.stdout
    assert not (target / "q.db").exists()  # the mount is gone with the namespace
