"""Typed parsers for what validators and the protocol decide: validatorL1Votes, validatorSummaries, and
one account's spot balances (spotClearinghouseState: the Assistance Fund's HYPE).

Shapes, checked against public SDK schemas and cited beside each parser:
- `validatorL1Votes` -> `[{"expireTime": ms, "action": {<tag>: ...}, "votes": [address, ...]}]`
  (nktkas/hyperliquid src/api/info/_methods/validatorL1Votes.ts). The tags it lists are `D` (one
  string), `C` (a list of strings) and `O` (outcome-market registrations, no perp). What `D` and `C`
  stand for is not documented: this parser keeps the tag as it is and reads the strings as the coins the
  vote concerns (`D` as one coin, `C` as several); `O` and any other tag concern no coin.
- `validatorSummaries` -> `[{"validator", "signer", "name", "stake": <int, 1e-8 HYPE>, "isJailed",
  "isActive", ...}]` (nktkas/hyperliquid validatorSummaries.ts; stake in HYPE wei of 8 decimals per two
  independent public clients that verified it against mainnet).
- `spotClearinghouseState` -> `{"balances": [{"coin", "token", "total", "hold", "entryNtl"}]}`
  (nktkas/hyperliquid spotClearinghouseState.ts).
A malformed item costs that item; a wrong top-level shape raises ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject, as_list, to_float

VALIDATOR_L1_VOTES = "validatorL1Votes"
VALIDATOR_SUMMARIES = "validatorSummaries"
SPOT_CLEARINGHOUSE_STATE = "spotClearinghouseState"

# validatorSummaries' `stake` is an integer in HYPE's wei (weiDecimals 8).
HYPE_WEI_PER_HYPE = 1e8
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,19}$")
_COIN = re.compile(r"^[A-Za-z0-9@/:_.-]{1,40}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


@dataclass(frozen=True, slots=True)
class PendingVote:
    action: str  # the action's tag as the API spells it (D, C, O, ...)
    coins: tuple[str, ...]  # the coins it names; empty when it concerns no perp
    expires_ms: int
    voters: frozenset[str]  # lowercase validator addresses


@dataclass(frozen=True, slots=True)
class PendingVotes:
    votes: tuple[PendingVote, ...]
    skipped: tuple[ParseError, ...]


@dataclass(frozen=True, slots=True)
class Validator:
    validator: str
    signer: str
    name: str
    stake_hype: float
    jailed: bool
    active: bool


@dataclass(frozen=True, slots=True)
class Validators:
    validators: tuple[Validator, ...]
    skipped: tuple[ParseError, ...]


def _coins_of(tag: str, value: Any, path: str) -> tuple[str, ...]:
    if tag == "D" and not isinstance(value, str):
        raise ParseError(VALIDATOR_L1_VOTES, path, "expected a coin name")
    if tag == "C" and not isinstance(value, list):
        raise ParseError(VALIDATOR_L1_VOTES, path, "expected a list of coin names")
    if tag == "O":
        return ()
    # A tag added later: its strings, if it has any, are read as coins; anything else names none.
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    coins = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or not _COIN.match(name):
            raise ParseError(
                VALIDATOR_L1_VOTES, f"{path}[{index}]", f"expected a coin name, got {name!r:.40}"
            )
        coins.append(name)
    return tuple(coins)


def parse_pending_vote(value: Any, path: str) -> PendingVote:
    entry = JsonObject(value, VALIDATOR_L1_VOTES, path)
    action = entry.obj("action")
    if len(action.data) != 1:
        raise ParseError(VALIDATOR_L1_VOTES, f"{path}.action", f"expected one tag, got {len(action.data)}")
    ((tag, body),) = action.data.items()
    if not _TAG.match(tag):
        raise ParseError(VALIDATOR_L1_VOTES, f"{path}.action", f"unexpected tag {tag[:20]!r}")
    voters = set()
    for index, voter in enumerate(entry.items("votes")):
        if not isinstance(voter, str) or not _ADDRESS.match(voter):
            raise ParseError(VALIDATOR_L1_VOTES, f"{path}.votes[{index}]", "expected a 0x address")
        voters.add(voter.lower())
    return PendingVote(
        tag, _coins_of(tag, body, f"{path}.action.{tag}"), entry.integer("expireTime"), frozenset(voters)
    )


def parse_validator_l1_votes(response: Any) -> PendingVotes:
    votes: list[PendingVote] = []
    skipped: list[ParseError] = []
    for index, item in enumerate(as_list(response, VALIDATOR_L1_VOTES, "$")):
        try:
            votes.append(parse_pending_vote(item, f"$[{index}]"))
        except ParseError as exc:
            skipped.append(exc)
    return PendingVotes(tuple(votes), tuple(skipped))


def _address(entry: JsonObject, key: str) -> str:
    value = entry.text(key)
    if not _ADDRESS.match(value):
        raise ParseError(entry.request_type, f"{entry.path}.{key}", "expected a 0x address")
    return value.lower()


def parse_validator(value: Any, path: str) -> Validator:
    entry = JsonObject(value, VALIDATOR_SUMMARIES, path)
    stake = entry.number("stake")
    if stake < 0:
        raise ParseError(VALIDATOR_SUMMARIES, f"{path}.stake", "is negative")
    return Validator(
        validator=_address(entry, "validator"),
        signer=_address(entry, "signer"),
        name=entry.optional_text("name") or "",
        stake_hype=stake / HYPE_WEI_PER_HYPE,
        jailed=entry.flag("isJailed"),
        active=entry.flag("isActive"),
    )


def parse_validator_summaries(response: Any) -> Validators:
    validators: list[Validator] = []
    skipped: list[ParseError] = []
    seen: set[str] = set()
    for index, item in enumerate(as_list(response, VALIDATOR_SUMMARIES, "$")):
        try:
            validator = parse_validator(item, f"$[{index}]")
            if validator.validator in seen:
                raise ParseError(VALIDATOR_SUMMARIES, f"$[{index}].validator", "duplicate validator")
        except ParseError as exc:
            skipped.append(exc)
            continue
        seen.add(validator.validator)
        validators.append(validator)
    return Validators(tuple(validators), tuple(skipped))


def parse_spot_balance(response: Any, coin: str) -> float:
    """The account's total balance of `coin` (0 when it holds none)."""
    balances = JsonObject(response, SPOT_CLEARINGHOUSE_STATE, "$").items("balances")
    total = 0.0
    for index, item in enumerate(balances):
        entry = JsonObject(item, SPOT_CLEARINGHOUSE_STATE, f"$.balances[{index}]")
        if entry.text("coin") == coin:
            total += to_float(entry.data.get("total"), SPOT_CLEARINGHOUSE_STATE, f"{entry.path}.total")
    return total
