"""Token buckets, kept as GCRA (one timestamp per bucket): in memory, or in Redis for N workers.

A bucket of ``capacity`` tokens refilled at ``capacity`` per ``window_s`` is the same thing
as the generic cell rate algorithm: each request moves the bucket's "theoretical arrival
time" (TAT) on by one emission interval (``window_s / capacity``), and a request is refused
while that would put the TAT more than ``window_s`` ahead of now. One number per bucket, so
Redis updates it atomically in one script call and every worker sees the same bucket.
"""

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Policy:
    """A bucket of ``capacity`` requests, refilled at ``capacity`` per ``window_s`` seconds."""

    name: str
    capacity: int
    window_s: float

    @property
    def interval_s(self) -> float:
        """Seconds one token takes to come back."""
        return self.window_s / self.capacity


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a bucket said to one request, in the terms of the RateLimit header fields."""

    allowed: bool
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # seconds until a refused request would be let through; 0 when allowed


def verdict_of(policy: Policy, *, allowed: bool, wait_s: float, backlog_s: float) -> Verdict:
    """The verdict for a bucket whose TAT is ``backlog_s`` ahead of now after this request."""
    # A token comes back every interval: the tokens left are the unused part of the window.
    remaining = max(0, math.floor((policy.window_s - backlog_s) / policy.interval_s + 1e-9))
    return Verdict(
        allowed=allowed,
        remaining=remaining if allowed else 0,
        reset_s=max(0, math.ceil(backlog_s)),
        retry_after_s=0 if allowed else max(1, math.ceil(wait_s)),
    )


# (now + window) - window may land an ulp above now: a full bucket must not refuse for that.
_SLACK_S = 1e-6


def take(policy: Policy, tat: float | None, now: float) -> tuple[bool, float, float, float]:
    """GCRA for one request: (allowed, new TAT, seconds to wait, TAT - now after it)."""
    start = now if tat is None or tat < now else tat
    new_tat = start + policy.interval_s
    allow_at = new_tat - policy.window_s
    if allow_at - now > _SLACK_S:
        return False, start, allow_at - now, start - now
    return True, new_tat, 0.0, new_tat - now


class Buckets(Protocol):
    """Where the buckets live: one process's memory, or Redis shared by every worker."""

    async def hit(self, policy: Policy, key: str) -> Verdict:
        """Takes one token from ``key``'s bucket of ``policy``, when it has one."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


class MemoryBuckets:
    """The buckets of one process (the default, and right for one worker)."""

    # Bounded, so a flood from many addresses cannot grow memory without end: the least
    # recently used bucket goes first, which at worst gives that client a full bucket again.
    MAX_BUCKETS = 100_000

    def __init__(self) -> None:
        self._tats: OrderedDict[str, float] = OrderedDict()

    async def hit(self, policy: Policy, key: str) -> Verdict:
        """Takes one token from ``key``'s bucket of ``policy``, when it has one."""
        slot = f"{policy.name}:{key}"
        now = time.monotonic()
        allowed, new_tat, wait_s, backlog_s = take(policy, self._tats.get(slot), now)
        self._tats[slot] = new_tat
        self._tats.move_to_end(slot)
        if len(self._tats) > self.MAX_BUCKETS:
            self._tats.popitem(last=False)
        return verdict_of(policy, allowed=allowed, wait_s=wait_s, backlog_s=backlog_s)

    async def close(self) -> None:
        """Nothing to release."""


# The same steps as ``take``, run inside Redis so that read, decide and write are one atomic
# step for every worker; Redis's own clock is the one clock all of them share.
_GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if allow_at - now > 0.000001 then
  return {0, tostring(allow_at - now), tostring(tat - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1)
return {1, '0', tostring(new_tat - now)}
"""


class RedisBuckets:
    """Buckets in Redis: correct across every worker and host that shares the server."""

    PREFIX = "corpus:ratelimit:"

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script = self.redis.register_script(_GCRA_SCRIPT)

    async def hit(self, policy: Policy, key: str) -> Verdict:
        """Takes one token from ``key``'s bucket of ``policy``, when it has one."""
        allowed, wait_s, backlog_s = await self._script(
            keys=[f"{self.PREFIX}{policy.name}:{key}"],
            args=[repr(policy.interval_s), repr(policy.window_s)],
        )
        return verdict_of(
            policy, allowed=bool(int(allowed)), wait_s=float(wait_s), backlog_s=float(backlog_s)
        )

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.redis.aclose()
