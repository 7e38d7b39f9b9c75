"""How a sender reports a failed delivery attempt to the worker."""

from __future__ import annotations


class DeliveryError(Exception):
    """A send failed. `permanent` means retrying the same message cannot help (the platform refused it)."""

    def __init__(
        self, reason: str, detail: str, *, permanent: bool = False, retry_after: float | None = None
    ):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
