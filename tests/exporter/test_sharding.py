"""Watched accounts shared out across exporter replicas: every account watched by exactly one shard, the
same one on every replica and restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.config import ConfigError, load_config, shard_of

ADDRESSES = [f"0x{k:040x}" for k in range(1, 41)]


def _config(tmp_path: Path, index: int, count: int) -> Path:
    watched = "".join(f"      - {{address: '{a}', name: 'w{k}'}}\n" for k, a in enumerate(ADDRESSES))
    path = tmp_path / f"config-{index}.yaml"
    shard = f"    shard_index: {index}\n    shard_count: {count}\n"
    path.write_text(f"collectors:\n  accounts:\n{shard}    watched:\n{watched}")
    return path


def _watched(tmp_path: Path, index: int, count: int) -> list[str]:
    return [w.address for w in load_config(_config(tmp_path, index, count)).collectors.accounts.watched]


def test_every_watched_account_is_watched_by_exactly_one_replica(tmp_path: Path) -> None:
    shards = [_watched(tmp_path, index, 3) for index in range(3)]
    assert sorted(a for shard in shards for a in shard) == sorted(ADDRESSES)
    assert all(shard for shard in shards)
    for index, shard in enumerate(shards):
        assert all(shard_of(address, 3) == index for address in shard)


def test_one_shard_watches_everything_and_a_shard_is_the_same_on_every_load(tmp_path: Path) -> None:
    assert _watched(tmp_path, 0, 1) == ADDRESSES
    assert _watched(tmp_path, 1, 4) == _watched(tmp_path, 1, 4)
    assert shard_of(ADDRESSES[0].upper().replace("0X", "0x"), 4) == shard_of(ADDRESSES[0], 4)


def test_shards_set_from_the_environment_apply(tmp_path: Path) -> None:
    path = _config(tmp_path, 0, 1)
    text = path.read_text().replace("shard_index: 0", "shard_index: ${HL_SHARD_INDEX:-0}")
    path.write_text(text.replace("shard_count: 1", "shard_count: ${HL_SHARD_COUNT:-1}"))
    config = load_config(path, environ={"HL_SHARD_INDEX": "2", "HL_SHARD_COUNT": "3"})
    watched = [w.address for w in config.collectors.accounts.watched]
    assert watched == _watched(tmp_path, 2, 3)
    assert len(watched) < len(ADDRESSES)


def test_a_shard_index_beyond_the_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shard_index 3 is not below shard_count 3"):
        load_config(_config(tmp_path, 3, 3))
