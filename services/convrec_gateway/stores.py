"""Builds the store the settings name (CONVREC_STORE): SQLite, or Redis checked for durability."""

from __future__ import annotations

from redis.exceptions import ConnectionError, TimeoutError

from .redis_store import RedisStore, UnsafeRedis, redacted
from .settings import GatewaySettings
from .store import SQLiteStore, Store


async def open_store(settings: GatewaySettings) -> Store:
    """The configured store; SystemExit with a clear message when Redis is unusable."""
    if settings.store == "sqlite":
        return SQLiteStore(settings.state_path)
    where = redacted(settings.redis_url)
    try:
        return await RedisStore.connect(
            settings.redis_url,
            prefix=settings.redis_key_prefix,
            ttl_seconds=settings.session_ttl_seconds,
            timeout=settings.redis_timeout_seconds,
            allow_unsafe=settings.redis_allow_unsafe,
        )
    except UnsafeRedis as err:
        raise SystemExit(f"gateway: {err}") from None
    except (ConnectionError, TimeoutError) as err:
        raise SystemExit(f"gateway: cannot reach Redis at {where} (CONVREC_REDIS_URL): {err}") from None
    except ValueError as err:
        raise SystemExit(f"invalid configuration: CONVREC_REDIS_URL: {err}") from None
