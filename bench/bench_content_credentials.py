"""Content Credentials (C2PA) benchmark: what signing adds to each output the studio writes.

    .venv/bin/python bench/bench_content_credentials.py [--repeats 20]

Part 1 signs in-process, as the node threads do, and compares the CPU time of signing with the
work of making the file (PNG/JPEG/WebP encoding, an ffmpeg H.264 encode). Part 2 runs image chains
through two real servers, one with ``MINIAI_CONTENT_CREDENTIALS=false``, and prints the ratio.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from _server import Server
from bench_small_graphs import chain, save_and_run
from miniaistudio.runtimes.media.content_credentials import Claim, ContentSigner, Ingredient, new_identity


def cpu_ms(work: Callable[[], Any], repeats: int) -> float:
    """Median thread CPU time of ``work`` in ms (wall time on these shared 2-core machines is noise)."""
    work()  # warm
    samples = []
    for _ in range(repeats):
        t0 = time.thread_time()
        work()
        samples.append((time.thread_time() - t0) * 1000)
    return statistics.median(samples)


def encoded(size: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    options: dict[str, Any] = {"compress_level": 3} if fmt == "PNG" else {}  # as TaskContext.save_image
    Image.effect_noise((size, size), 48).convert("RGB").save(buf, fmt, **options)
    return buf.getvalue()


def in_process(repeats: int, tmp: Path) -> None:
    signer = ContentSigner(new_identity(), "bench")
    print("\nPer file, in-process (median thread CPU ms): making the file vs signing it")
    print(f"{'file':<22} {'make ms':>8} {'sign ms':>8} {'ratio':>6} {'bytes added':>11}")
    mimes = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
    for fmt, mime in mimes.items():
        for size in (64, 512, 1024):
            img = Image.effect_noise((size, size), 48).convert("RGB")
            kw: dict[str, Any] = {"compress_level": 3} if fmt == "PNG" else {}
            make = cpu_ms(lambda img=img, fmt=fmt, kw=kw: img.save(io.BytesIO(), fmt, **kw), repeats)  # type: ignore[misc]
            data = encoded(size, fmt)
            sign = cpu_ms(lambda data=data, mime=mime: signer.sign_bytes(data, mime, Claim("x")), repeats)  # type: ignore[misc]
            added = len(signer.sign_bytes(data, mime, Claim("x"))) - len(data)
            print(f"{fmt + f' {size}px':<22} {make:8.2f} {sign:8.2f} {sign / make:6.2f} {added:11d}")
    parent = encoded(512, "PNG")
    edit = cpu_ms(lambda: signer.sign_bytes(parent, "image/png", Claim("x", ingredients=(
        Ingredient("p", "image/png", "p.png", lambda: io.BytesIO(parent), parent=True),))), repeats)
    print(f"{'PNG 512px + ingredient':<22} {'':>8} {edit:8.2f}")

    clip = tmp / "clip.mp4"
    argv = ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i",
            "testsrc=size=640x360:rate=25:duration=3", "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(clip)]
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    make_wall = (time.perf_counter() - t0) * 1000
    sign = cpu_ms(lambda: signer.sign_file(clip, tmp / "signed.mp4", "video/mp4", Claim("x")), repeats)
    print(f"{'MP4 640x360 3 s':<22} {make_wall:8.1f} {sign:8.2f} {sign / make_wall:6.3f}   (make: ffmpeg wall ms)")


def served(repeats: int, tmp: Path) -> None:
    rows: dict[bool, dict[tuple[int, int], float]] = {}
    for signing in (False, True):
        server = Server(tmp / f"data-{signing}")
        server.env["MINIAI_CONTENT_CREDENTIALS"] = "true" if signing else "false"
        server.create_user()
        server.start()
        try:
            client = server.login()
            warm = client.post("/api/v2/sessions", json={"name": "warm-up"}).json()
            save_and_run(client, warm, chain(3, 64, 32))
            rows[signing] = {}
            for size in (64, 512):
                for n in (1, 10):
                    samples = []
                    for rep in range(repeats):
                        session = client.post("/api/v2/sessions", json={"name": f"{n}x{size} #{rep}"}).json()
                        samples.append(save_and_run(client, session, chain(n, size, size // 2)))
                    rows[signing][(n, size)] = statistics.median(samples)
        finally:
            server.stop()
    print("\nThrough the server: a cold run of an image chain (client wall ms, median of fresh sessions)")
    print(f"{'nodes':>5} {'px':>4} {'unsigned':>9} {'signed':>8} {'ratio':>6}")
    for (n, size), plain in rows[False].items():
        signed = rows[True][(n, size)]
        print(f"{n:>5} {size:>4} {plain:9.1f} {signed:8.1f} {signed / plain:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        in_process(args.repeats, Path(tmp))
        served(args.repeats, Path(tmp))


if __name__ == "__main__":
    main()
