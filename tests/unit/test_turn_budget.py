"""The gateway's turn budget: the configured time, or the caller's when that is sooner."""

from __future__ import annotations

from convrec_gateway.service import DialogueServicer
from convrec_gateway.settings import GatewaySettings


class Context:
    def __init__(self, remaining):
        self._remaining = remaining

    def time_remaining(self):
        return self._remaining


def budget_for(remaining, configured=5.0) -> float:
    servicer = DialogueServicer(None, None, GatewaySettings(turn_budget_seconds=configured))
    return servicer._budget(Context(remaining)).remaining(floor=0.0)


def test_a_sooner_caller_deadline_wins():
    assert 0.15 < budget_for(0.2) <= 0.2


def test_no_deadline_or_a_later_one_keeps_the_configured_budget():
    assert 4.9 < budget_for(None) <= 5.0
    assert 4.9 < budget_for(60.0) <= 5.0


def test_an_expired_deadline_leaves_no_time():
    assert budget_for(-1.0) == 0.0
