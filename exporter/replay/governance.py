"""The governance side of a scenario: the validator set, pending validator votes and the Assistance Fund,
as functions of scenario time."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.replay.paths import Path
from exporter.replay.scenario import GovernanceSpec, ScenarioError, ValidatorsJailedEvent, ValidatorVoteEvent

ASSISTANCE_FUND = "0xfefefefefefefefefefefefefefefefefefefefe"


@dataclass(frozen=True)
class SimValidator:
    validator: str
    signer: str
    name: str
    stake_hype: float


@dataclass(frozen=True)
class SimVote:
    opened: float
    closes: float
    action: str
    coins: tuple[str, ...]
    voters: tuple[str, ...]
    expire_seconds: float  # scenario second at which it lapses


class Governance:
    def __init__(self, spec: GovernanceSpec) -> None:
        largest = spec.total_stake_hype * spec.largest_stake_share
        rest = (spec.total_stake_hype - largest) / (spec.validators - 1) if spec.validators > 1 else 0.0
        self.validators = [
            SimValidator(
                validator=f"0x{0x7A1 + index:040x}",
                signer=f"0x{0x5E1 + index:040x}",
                name=f"validator-{index + 1}",
                stake_hype=largest if index == 0 else min(rest, largest),
            )
            for index in range(spec.validators)
        ]
        self.jailed = Path(0.0)
        self.votes: list[SimVote] = []
        self.stakers = {staker.address: staker for staker in spec.stakers}
        self.assistance_fund_hype = Path.from_points(
            [(point[0], point[1]) for point in spec.assistance_fund_hype]
        )

    def apply_vote(self, event: ValidatorVoteEvent, where: str) -> None:
        if event.voters > len(self.validators):
            raise ScenarioError(f"{where}: {event.voters} voters, only {len(self.validators)} validators")
        lapses = event.at + event.expires_after
        closes = min(lapses, event.until) if event.until is not None else lapses
        voters = tuple(v.validator for v in self.validators[: event.voters])
        self.votes.append(SimVote(event.at, closes, event.action, tuple(event.coins), voters, lapses))

    def apply_jailed(self, event: ValidatorsJailedEvent, where: str) -> None:
        if event.count > len(self.validators):
            raise ScenarioError(f"{where}: {event.count} jailed, only {len(self.validators)} validators")
        self.jailed.step(event.at, float(event.count))

    def jailed_count(self, time: float) -> int:
        return round(self.jailed.value_at(time))

    def pending(self, time: float) -> list[SimVote]:
        return [vote for vote in self.votes if vote.opened <= time < vote.closes]
