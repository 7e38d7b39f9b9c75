"""How much low-priority pollers (watched accounts) yield when the shared weight budget is tight."""

from __future__ import annotations

from exporter.hyperliquid.budget import WeightBudget

WATCHED_MAX_STRETCH = 4.0


class BudgetPressure:
    """How much a low-priority poller should stretch its interval to leave the budget to others.

    Two signals: the plan (if every poller's planned weight exceeds the budget, stretch enough to
    fit) and the bucket (if it cannot pay for this poller's batch right now, other pollers are
    using it up: double the stretch; otherwise halve it back toward 1).
    """

    def __init__(self, budget: WeightBudget, batch_weight: float, own_planned_per_minute: float) -> None:
        self._budget = budget
        self._batch_weight = batch_weight
        self._own_planned = own_planned_per_minute
        self._adaptive = 1.0

    @property
    def stretch(self) -> float:
        return min(WATCHED_MAX_STRETCH, max(1.0, self._plan_stretch(), self._adaptive))

    def _plan_stretch(self) -> float:
        excess = self._budget.planned_total - self._budget.per_minute
        if excess <= 0 or self._own_planned <= 0:
            return 1.0
        remaining = self._own_planned - excess
        return WATCHED_MAX_STRETCH if remaining <= 0 else self._own_planned / remaining

    def observe(self) -> None:
        """Call before each batch: sample how busy the shared bucket is."""
        if self._budget.delay_for(self._batch_weight) > 0:
            self._adaptive = min(WATCHED_MAX_STRETCH, self._adaptive * 2)
        else:
            self._adaptive = max(1.0, self._adaptive / 2)
