"""Token-bucket rate limits: parsing, in-process buckets, Redis buckets shared by replicas
(a real redis-server), failing open when Redis is gone; and whom a gateway call counts against."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from redis import asyncio as aioredis

from convrec_gateway import access
from convrec_gateway.ratelimit import (
    STORE_ERRORS,
    MemoryBuckets,
    Rate,
    RateLimits,
    RateLimitSettings,
    RedisBuckets,
    open_limits,
    parse_rate,
)
from convrec_gateway.settings import GatewaySettings
from convrec_kit.auth import Principal, bind_principal, unbind_principal
from convrec_kit.errors import ServiceError
from convrec_kit.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis-limits")).start()
    except FileNotFoundError as err:
        pytest.fail(str(err))
    yield server
    server.stop()


def shared(server: RedisServer, prefix: str) -> RedisBuckets:
    return RedisBuckets(aioredis.from_url(server.url, decode_responses=True, socket_timeout=0.25), prefix)


@pytest.mark.parametrize("text, rate", [
    ("10/s burst 20", Rate(10, 20)), ("10/s", Rate(10, 10)), (" 30 / m ", Rate(0.5, 30)),
    ("0.5/s burst 3", Rate(0.5, 3)), ("3600/h", Rate(1, 3600)), ("0", None), ("off", None), ("", None),
])
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "10/d", "ten/s", "10/s burst", "10/s burst 0"])
def test_bad_rates_are_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_settings_name_the_bad_variable(monkeypatch):
    from convrec_kit.settings import load_settings

    monkeypatch.setenv("CONVREC_RATE_LIMIT_CONVERSE", "fast")
    with pytest.raises(SystemExit, match="CONVREC_RATE_LIMIT_CONVERSE"):
        load_settings(RateLimitSettings)
    monkeypatch.setenv("CONVREC_RATE_LIMIT_CONVERSE", "2/s burst 5")
    assert load_settings(RateLimitSettings).rates() == {"Converse": Rate(2, 5)}


def test_memory_bucket_bursts_then_refills():
    now = [0.0]
    buckets = MemoryBuckets(clock=lambda: now[0])
    rate = Rate(2, 3)
    assert [buckets.take("a", rate) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", rate) == pytest.approx(0.5)
    assert buckets.take("b", rate) == 0  # buckets are per key
    now[0] += 0.5
    assert buckets.take("a", rate) == 0
    now[0] += 100
    assert [buckets.take("a", rate) for _ in range(4)][-1] > 0  # never more than the burst


def test_memory_buckets_stay_bounded():
    buckets = MemoryBuckets(max_keys=10)
    for n in range(100):
        buckets.take(str(n), Rate(1, 1))
    assert len(buckets._buckets) == 10


async def test_over_the_limit_is_resource_exhausted_with_retry_info():
    now = [0.0]
    limits = RateLimits({"Converse": Rate(0.1, 2)}, clock=lambda: now[0])
    await limits.check("Converse", "k")
    await limits.check("Converse", "k")
    await limits.check("SubmitFeedback", "k")  # not limited
    with pytest.raises(ServiceError) as caught:
        await limits.check("Converse", "k")
    err = caught.value
    assert err.code == grpc.StatusCode.RESOURCE_EXHAUSTED and err.reason == "RATE_LIMITED"
    [retry] = err.details
    assert isinstance(retry, error_details_pb2.RetryInfo) and retry.retry_delay.ToMilliseconds() == 10000


async def test_redis_buckets_are_shared_by_replicas_and_refill(redis_server):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    first, second = RateLimits({"Converse": Rate(20, 3)}, shared(redis_server, prefix)), \
        RateLimits({"Converse": Rate(20, 3)}, shared(redis_server, prefix))
    try:
        await first.check("Converse", "alice")
        await second.check("Converse", "alice")
        await first.check("Converse", "alice")
        with pytest.raises(ServiceError) as caught:
            await second.check("Converse", "alice")  # the bucket both replicas share is empty
        delay = caught.value.details[0].retry_delay.ToMilliseconds()
        assert 0 < delay <= 50
        await second.check("Converse", "bob")
        time.sleep(0.06)
        await second.check("Converse", "alice")  # refilled at 20 a second
    finally:
        await first.close()
        await second.close()


async def test_bucket_keys_carry_no_user_id(redis_server):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    buckets = shared(redis_server, prefix)
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        await buckets.take("Converse", "carol@example.com", Rate(1, 5))
        keys = await client.keys(f"{prefix}:*")
        assert len(keys) == 1 and "carol" not in keys[0] and keys[0].startswith(f"{prefix}:ratelimit:Converse:")
        assert 0 < await client.pttl(keys[0]) <= 6000
    finally:
        await buckets.close()
        await client.aclose()


async def test_a_redis_outage_fails_open_to_per_replica_buckets(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    limits = RateLimits({"Converse": Rate(0.01, 2)}, shared(server, "outage"))
    try:
        await limits.check("Converse", "dave")
        server.kill()
        errors = STORE_ERRORS._value.get()
        started = time.perf_counter()
        await limits.check("Converse", "dave")  # Redis gone: let through, counted
        assert time.perf_counter() - started < 1.0
        assert STORE_ERRORS._value.get() == errors + 1
        await limits.check("Converse", "dave")  # the local bucket, Redis not asked again for a while
        with pytest.raises(ServiceError):
            await limits.check("Converse", "dave")  # still limited per replica
        assert STORE_ERRORS._value.get() == errors + 1
    finally:
        await limits.close()
        server.stop()


def test_open_limits_uses_redis_only_with_the_redis_store():
    limits = RateLimitSettings(rate_limit_converse="5/s")
    assert open_limits(GatewaySettings(store="sqlite"), limits)._shared is None
    assert open_limits(GatewaySettings(store="redis"), limits)._shared is not None
    assert open_limits(GatewaySettings(store="redis"), RateLimitSettings())._shared is None  # no limits at all


class Peer:
    def peer(self):
        return "ipv4:10.1.2.3:50123"


def acting(principal):
    """Runs a check as `principal`."""

    def run(check, *args):
        token = bind_principal(principal)
        try:
            return check(*args)
        finally:
            unbind_principal(token)

    return run


def test_who_a_call_acts_for():
    assert access.acting_user("") == "" and access.acting_user("bob") == "bob"  # auth off
    access.check_owner("someone")
    as_alice = acting(Principal("alice", frozenset({"read"})))
    assert as_alice(access.acting_user, "") == "alice"
    assert as_alice(access.acting_user, "alice") == "alice"
    for check, arg in ((access.acting_user, "bob"), (access.check_owner, "bob"), (access.check_owner, ""),
                       (access.check_user, "bob")):
        with pytest.raises(ServiceError) as caught:
            as_alice(check, arg)
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
    as_admin = acting(Principal("ops", frozenset({"admin"})))
    assert as_admin(access.acting_user, "bob") == "bob" and as_admin(access.acting_user, "") == ""
    as_admin(access.check_owner, "bob")


def test_rate_limit_keys():
    assert access.limit_key("bob", Peer()) == "user\0bob"
    assert access.limit_key("", Peer()) == "peer\0ipv4:10.1.2.3"
    assert acting(Principal("alice"))(access.limit_key, "alice", Peer()) == "sub\0alice"
    assert acting(Principal("ops", frozenset({"admin"})))(access.limit_key, "bob", Peer()) == "sub\0ops\0bob"
