"""Token-bucket rate limits per caller on Converse and SubmitFeedback: in process, or shared in Redis.

A limit reads "R/s burst B" (also /m, /h; burst defaults to R): B calls at once, then R a second.
With CONVREC_STORE=redis every gateway replica takes from the same bucket (one Lua script,
Redis's clock). When Redis cannot answer, calls are never refused for it: the limiter logs
`rate_limit_store_unavailable`, counts convrec_rate_limit_store_errors_total, and falls back to
this replica's own buckets for RETRY_REDIS_SECONDS before trying Redis again."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from convrec_kit.errors import rate_limited

from .redis_store import redacted, user_tag
from .settings import GatewaySettings

log = structlog.get_logger()

RATE_LIMITED = Counter("convrec_rate_limited_total", "Calls refused by a rate limit", ["method"])
STORE_ERRORS = Counter("convrec_rate_limit_store_errors_total",
                       "Rate-limit checks Redis could not answer (the call was let through)")
RETRY_REDIS_SECONDS = 5.0
_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*(?:burst\s+(\d+))?\s*$")


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


def parse_rate(text: str) -> Rate | None:
    """'10/s burst 20' -> Rate(10, 20); '0', 'off' or '' -> None (no limit)."""
    text = text.strip().lower()
    if text in ("", "0", "off"):
        return None
    match = _RATE.match(text)
    if not match or match[2] not in _UNITS:
        raise ValueError(f"{text!r}: write a rate as 'N/s', 'N/m' or 'N/h', optionally 'burst B'; 0 is off")
    count = float(match[1])
    if count <= 0:
        return None
    burst = int(match[3]) if match[3] else max(1, int(count))
    if burst < 1:
        raise ValueError(f"{text!r}: the burst must be at least 1")
    return Rate(count / _UNITS[match[2]], burst)


class RateLimitSettings(BaseSettings):
    """CONVREC_RATE_LIMIT_*: a rate per caller for each limited method; 0 (the default) is off."""

    model_config = SettingsConfigDict(env_prefix="CONVREC_", extra="ignore")

    rate_limit_converse: str = "0"
    rate_limit_feedback: str = "0"
    # Longest wait for Redis on one check before the call is let through.
    rate_limit_timeout_seconds: float = Field(default=0.25, gt=0, le=5)

    @field_validator("rate_limit_converse", "rate_limit_feedback")
    @classmethod
    def _valid(cls, value: str) -> str:
        parse_rate(value)
        return value

    def rates(self) -> dict[str, Rate]:
        found = {"Converse": parse_rate(self.rate_limit_converse),
                 "SubmitFeedback": parse_rate(self.rate_limit_feedback)}
        return {method: rate for method, rate in found.items() if rate is not None}


class MemoryBuckets:
    """Token buckets in this process, the least recently used dropped past `max_keys`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock, self._max = clock, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str, rate: Rate) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        now = self._clock()
        tokens, at = self._buckets.pop(key, (float(rate.burst), now))
        tokens = min(rate.burst, tokens + max(0.0, now - at) * rate.per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate.per_second
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


# KEYS[1]: the bucket. ARGV: tokens per second, burst. Returns 0 when a token was taken, else the
# milliseconds until one will be there. Redis's own clock, so replicas' clocks need not agree.
TAKE_SCRIPT = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisBuckets:
    """Token buckets shared by every gateway replica: `<prefix>:ratelimit:<method>:<sha256 of the key>`."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis, self._prefix = client, prefix
        self._take = client.register_script(TAKE_SCRIPT)

    async def take(self, method: str, key: str, rate: Rate) -> float:
        bucket = f"{self._prefix}:ratelimit:{method}:{user_tag(key)}"
        return int(await self._take(keys=[bucket], args=[repr(rate.per_second), rate.burst])) / 1000

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimits:
    """What the gateway asks before a limited call: RESOURCE_EXHAUSTED (with RetryInfo) when
    the caller's bucket is empty."""

    def __init__(self, rates: dict[str, Rate], shared: RedisBuckets | None = None, where: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._rates, self._shared, self._where, self._clock = rates, shared, where, clock
        self._local = MemoryBuckets(clock)
        self._redis_after = 0.0  # while the clock is below this, Redis is not asked

    async def check(self, method: str, key: str) -> None:
        rate = self._rates.get(method)
        if rate is None:
            return
        wait = await self._take(method, key, rate)
        if wait > 0:
            RATE_LIMITED.labels(method).inc()
            raise rate_limited(method, wait)

    async def _take(self, method: str, key: str, rate: Rate) -> float:
        if self._shared is not None and self._clock() >= self._redis_after:
            try:
                return await self._shared.take(method, key, rate)
            except (RedisError, OSError) as err:
                STORE_ERRORS.inc()
                self._redis_after = self._clock() + RETRY_REDIS_SECONDS
                log.warning("rate_limit_store_unavailable", where=self._where, error=str(err)[:200],
                            fallback="per-replica limits", retry_in_s=RETRY_REDIS_SECONDS)
        return self._local.take(f"{method}\0{key}", rate)

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()


def open_limits(settings: GatewaySettings, limits: RateLimitSettings) -> RateLimits:
    """In-process buckets, or Redis ones (CONVREC_REDIS_URL and key prefix) with CONVREC_STORE=redis."""
    rates = limits.rates()
    if not rates or settings.store != "redis":
        return RateLimits(rates)
    timeout = limits.rate_limit_timeout_seconds
    client = aioredis.from_url(settings.redis_url, decode_responses=True, socket_timeout=timeout,
                               socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
    return RateLimits(rates, RedisBuckets(client, settings.redis_key_prefix), redacted(settings.redis_url))
