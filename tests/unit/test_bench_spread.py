"""The bench client spreads each conversation's turns over the gateway replicas it is given."""

from __future__ import annotations

from types import SimpleNamespace

from convrec_cli.bench import SCRIPTS, _client


class FakeGateway:
    def __init__(self, name: str, calls: list) -> None:
        self.name, self.calls = name, calls

    async def Converse(self, request, timeout):
        self.calls.append((self.name, request.session_id))
        return SimpleNamespace(session_id=request.session_id or f"s-{len(self.calls)}")


async def test_turns_alternate_between_gateways_within_one_conversation():
    calls: list = []
    stubs = [FakeGateway("a", calls), FakeGateway("b", calls)]
    latencies: list[float] = []
    await _client(stubs, 0, 1, latencies, [])
    assert [name for name, _ in calls] == ["ab"[t % 2] for t in range(len(SCRIPTS[0]))]
    first_session = calls[1][1]
    assert calls[0][1] == "" and all(sid == first_session for _, sid in calls[1:])
    assert len(latencies) == len(SCRIPTS[0])


async def test_one_gateway_takes_every_turn():
    calls: list = []
    await _client([FakeGateway("a", calls)], 3, 2, [], [])
    assert {name for name, _ in calls} == {"a"}
