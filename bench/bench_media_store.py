"""What the S3 media store costs against local disk (issue 15): writes, cold reads, cache hits.

    PYTHONPATH=src .venv/bin/python bench/bench_media_store.py [--repeat 20]

Starts a throwaway SeaweedFS (``weed mini``, as tests/s3 does) on loopback and times, for a small and a
larger file, medians of: ``put_file`` (local: a rename; S3: an upload, then a rename into the cache),
a cold ``local_path`` (S3: a download into the cache) and a warm one (a cache hit), side by side with
``LocalMediaStore``. Loopback hides network latency, so the cold S3 figures are a floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import servers  # the test harness's throwaway S3 server
from miniaistudio.store.media_store import LocalMediaStore, MediaStore
from miniaistudio.store.s3_media_store import S3Location, S3MediaStore


def median_ms(run: Callable[[int], object], n: int, before: Callable[[int], object] = lambda i: None) -> float:
    times = []
    for i in range(n):
        before(i)  # not timed
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def measure(store: MediaStore, root: Path, size: int, n: int, cold: Callable[[], None]) -> dict[str, float]:
    data = bytes(range(256)) * (size // 256)
    tag = f"{size}-{type(store).__name__.lower()}"

    def put(i: int) -> None:
        source = root / f"src-{tag}-{i}"
        source.write_bytes(data)
        store.put_file(f"bench/{tag}-{i}.bin", source)

    def read(i: int) -> None:
        with store.local_path(f"bench/{tag}-{i}.bin") as path:
            assert path.stat().st_size == len(data)

    return {"put": median_ms(put, n), "cold read": median_ms(read, n, before=lambda i: cold()),
            "warm read": median_ms(read, n, before=read)}  # read once first: the timed read is a cache hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cluster = servers.Servers()
    try:
        s3 = cluster.ensure_s3()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            local = LocalMediaStore(root / "media")
            remote = S3MediaStore(S3Location(bucket="bench", endpoint_url=s3.endpoint_url, region=s3.REGION,
                                             access_key_id=s3.ACCESS_KEY, secret_access_key=s3.SECRET_KEY),
                                  root / "cache", cache_bytes=4 * 1024**3)
            remote.ensure_bucket()

            print(f"{'file':>8} {'operation':>10} {'local ms':>9} {'S3 ms':>8} {'S3/local':>9}")
            for size in (64 * 1024, 4 * 1024**2):
                on_disk = measure(local, root, size, args.repeat, lambda: None)
                on_s3 = measure(remote, root, size, args.repeat, remote.cache.clear)  # cold: nothing cached yet
                for op in on_disk:
                    print(f"{size // 1024:>6}KB {op:>10} {on_disk[op]:>9.2f} {on_s3[op]:>8.2f} "
                          f"{on_s3[op] / on_disk[op]:>8.1f}x")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
