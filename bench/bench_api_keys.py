"""What an API key costs per request (issue 12): the rate limiter, the key check, and a whole request.

    .venv/bin/python bench/bench_api_keys.py [--requests 2000] [--storage memory://]

In-process, on a throwaway data dir:

- ``limiter``: one ``KeyRateLimiter.hit`` (moving window: a hit and the window's stats for the headers),
  over 100 keys with a limit high enough never to refuse;
- ``verify``: one ``ApiKeys.verify`` (checksum, HMAC, one indexed SQLite query);
- ``bad checksum``: a key refused before any database work;
- a whole ``GET /api/v2/auth/me`` through the ASGI app (perimeter, authentication, the route) with a
  login token and with the personal key; the key's row includes the limiter and the headers.

Medians of per-call times in microseconds (``--storage redis://...`` measures a Redis storage).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from miniaistudio.app import create_app
from miniaistudio.config import Settings
from miniaistudio.core.errors import Unauthorized
from miniaistudio.services.api_key_format import KeyKind
from miniaistudio.services.api_keys import KeySpec
from miniaistudio.services.rate_limits import KeyRateLimiter
from miniaistudio.studio import Studio


def per_call_us(call: Callable[[int], object], n: int) -> float:
    times = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


async def http_us(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = await client.get("/api/v2/auth/me", headers=headers)
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, r.text
    return statistics.median(times) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--storage", default="memory://")
    args = parser.parse_args()
    n = args.requests

    limiter = KeyRateLimiter(args.storage)
    keys = [f"key-{i}" for i in range(100)]
    limiter_us = per_call_us(lambda i: limiter.hit(keys[i % 100], 1_000_000), n * 5)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", secret_key="bench-" + "0" * 32,
                            rate_limit_storage_uri=args.storage, api_key_rate_limit_per_minute=1_000_000)
        studio = Studio(settings)
        await studio.start()
        try:
            user = studio.accounts.create_user("bench@example.com", "bench-password")
            key = studio.api_keys.create(user.id, KeyKind.AIVS, KeySpec(name="bench")).secret
            bad = key[:-1] + ("A" if key[-1] != "A" else "B")
            verify_us = per_call_us(lambda i: studio.api_keys.verify(key, "127.0.0.1"), n)

            def refuse(i: int) -> None:
                with contextlib.suppress(Unauthorized):
                    studio.api_keys.verify(bad, "127.0.0.1")

            bad_us = per_call_us(refuse, n * 5)
            personal = studio.accounts.regenerate_api_key(user.id).api_key or ""
            token = studio.accounts.login("bench@example.com", "bench-password").token
            app = create_app(settings, studio)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
                await http_us(c, {"Authorization": f"Bearer {token}"}, 50)  # warm up
                login_us = await http_us(c, {"Authorization": f"Bearer {token}"}, n)
                key_us = await http_us(c, {"Authorization": f"Bearer {personal}"}, n)
        finally:
            await studio.stop()

    print(f"storage {args.storage}, medians of {n} requests (limiter and bad checksum: {n * 5} calls)")
    print(f"{'rate limiter hit + window stats':<42} {limiter_us:9.1f} µs")
    print(f"{'key verify (HMAC + one SQLite query)':<42} {verify_us:9.1f} µs")
    print(f"{'key refused on its checksum':<42} {bad_us:9.1f} µs")
    print(f"{'GET /api/v2/auth/me with a login token':<42} {login_us:9.1f} µs")
    print(f"{'GET /api/v2/auth/me with an API key':<42} {key_us:9.1f} µs")
    print(f"limiter share of a key-authenticated request: {100 * limiter_us / key_us:.1f} %")


if __name__ == "__main__":
    asyncio.run(main())
