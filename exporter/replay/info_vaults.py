"""Vault bodies of `/info`: `vaultDetails` and `portfolio`, from the scenario's vault paths and accounts."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from exporter.replay.accounts import AccountTrack
from exporter.replay.clock import ScenarioClock
from exporter.replay.numbers import usd_string
from exporter.replay.timeline import Timeline

Json = Any
PathFn = Callable[[float], float]
HOUR = 3_600.0
DAY = 86_400.0
# (window, span, spacing) of portfolio histories, after the recorded HLP Strategy B portfolio:
# points about 2.3 h apart over a day and a week, 22 h over a month, two weeks over all time.
_WINDOWS: list[tuple[str, float, float]] = [
    ("day", DAY, 8_400.0),
    ("week", 7 * DAY, 8_400.0),
    ("month", 30 * DAY, 22 * HOUR),
    ("allTime", 700 * DAY, 14 * DAY),
]


class VaultBodies:
    def __init__(self, timeline: Timeline, clock: ScenarioClock) -> None:
        self._timeline = timeline
        self._clock = clock
        self._accounts = timeline.accounts

    def vault_details(self, address: str, now: float) -> Json:
        vault = self._timeline.vault
        track = self._timeline.account(address)
        if track is None or not track.is_vault:
            return None
        if address == vault.address:
            portfolio = _portfolio_windows(self._clock, now, vault.account_value.value_at, vault.pnl.value_at)
            account_value = vault.account_value.value_at(now)
            relationship: Json = {"type": "parent", "data": {"childAddresses": list(vault.child_addresses)}}
            name, leader, description = vault.name, vault.leader, _HLP_DESCRIPTION
        else:
            portfolio = self._account_portfolio(track, now)
            account_value = self._accounts.account_value(track, now)
            relationship = {"type": "child"}
            name, leader, description = track.name, vault.address, ""
        return {
            "name": name,
            "vaultAddress": address,
            "leader": leader,
            "description": description,
            "portfolio": portfolio,
            "apr": vault.apr,
            "followerState": None,
            "leaderFraction": 0.0007904828725729887,
            "leaderCommission": 0,
            "followers": self._followers(address, account_value, now),
            "maxDistributable": round(account_value * 0.2, 6),
            "maxWithdrawable": round(account_value * 0.002, 6),
            "isClosed": False,
            "relationship": relationship,
            "allowDeposits": address == vault.address,
            "alwaysCloseOnWithdraw": False,
        }

    def _followers(self, address: str, account_value: float, now: float) -> Json:
        rng = random.Random(address)
        count = self._timeline.vault.followers if address == self._timeline.vault.address else 1
        followers = []
        for index in range(count):
            # Followers are decoration: real days before now, whatever the replay speed.
            days = rng.randint(5, 400)
            entry_ms = self._clock.wall_ms(now) - days * 86_400_000 - rng.randrange(86_400_000)
            share = rng.uniform(0.0005, 0.003) if index else 0.001
            equity = account_value * share
            followers.append(
                {
                    "user": "Leader" if index == 0 else f"0x{rng.getrandbits(160):040x}",
                    "vaultEquity": usd_string(equity),
                    "pnl": usd_string(equity * rng.uniform(-0.01, 0.05)),
                    "allTimePnl": usd_string(equity * rng.uniform(0.0, 0.3)),
                    "daysFollowing": days,
                    "vaultEntryTime": entry_ms,
                    "lockupUntil": entry_ms + 4 * 86_400_000,
                }
            )
        return followers

    def portfolio(self, user: str, now: float) -> Json:
        if user == self._timeline.vault.address:
            vault = self._timeline.vault
            return _portfolio_windows(self._clock, now, vault.account_value.value_at, vault.pnl.value_at)
        track = self._timeline.account(user)
        if track is None:
            return _portfolio_windows(self._clock, now, lambda _: 0.0, lambda _: 0.0)
        return self._account_portfolio(track, now)

    def _account_portfolio(self, track: AccountTrack, now: float) -> Json:
        def value(time: float) -> float:
            return self._accounts.account_value(track, time)

        def pnl(time: float) -> float:
            return value(time) - track.deposits.value_at(time)

        return _portfolio_windows(self._clock, now, value, pnl)


def _portfolio_windows(clock: ScenarioClock, now: float, value: PathFn, pnl: PathFn) -> Json:
    windows: list[Json] = []
    for name, span, spacing in _WINDOWS:
        first = (now - span) // spacing * spacing + spacing
        times = []
        time = first
        while time < now - spacing / 10:  # the last point is the request time itself
            times.append(time)
            time += spacing
        times.append(now)
        base = pnl(times[0])
        body = {
            "accountValueHistory": [[clock.wall_ms(t), usd_string(value(t))] for t in times],
            "pnlHistory": [[clock.wall_ms(t), usd_string(pnl(t) - base)] for t in times],
            "vlm": usd_string(0.0),
        }
        windows.append([name, body])
    # The perp-only windows carry the same numbers: scenarios hold no spot.
    windows += [["perp" + name[0].upper() + name[1:], body] for name, body in list(windows)]
    return windows


_HLP_DESCRIPTION = (
    "This community-owned vault provides liquidity to Hyperliquid through multiple market making strategies, "
    "performs liquidations, and accrues platform fees."
)
