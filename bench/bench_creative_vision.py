"""Creative vision benchmark (issue 5): each node through the studio versus the library called directly.

    .venv/bin/python bench/bench_creative_vision.py

A real server process runs each node: a first full run warms it (mediapipe graphs, the ONNX
session), then the node is rerun in isolation three times and the best time is taken from the
node's own start/end in the run state. The direct figures call the same libraries in this
process, warm, best of three: mediapipe, onnxruntime, OpenCV, and the very ffmpeg command
lines the nodes build. Target: ffmpeg-based nodes (video.effects, video.ken_burns) at most
1.1x the direct time. Not a test: prints a table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from _server import Server

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / ".cache" / "test-models"  # the tests' shared models folder
FIXTURES = ROOT.parent / "shared" / "fixtures" / "images"
sys.path.insert(0, str(ROOT / "src"))

from miniaistudio.runtimes.creative.camera_motion import (  # noqa: E402
    NEUTRAL,
    CameraMove,
    ParallaxScene,
    interpolate,
    ken_burns_filter,
)
from miniaistudio.runtimes.creative.face_swap import FaceSwapper, LandmarkTrack  # noqa: E402
from miniaistudio.runtimes.creative.vfx import build_graph  # noqa: E402
from miniaistudio.runtimes.models import vision  # noqa: E402
from miniaistudio.runtimes.models.model_cache import ModelCache  # noqa: E402
from miniaistudio.runtimes.models.vision_assets import place_u2netp  # noqa: E402

H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast"]
FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
WARM = ModelCache(2**31)  # the direct calls keep their models warm, as the studio's cache does


def node(nid: str, ntype: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": ntype, "position": {"x": 0, "y": 0}, "params": params}


def edge(src: str, sh: str, dst: str, th: str) -> dict[str, Any]:
    return {"id": f"{src}-{dst}-{th}", "source": src, "source_handle": sh, "target": dst, "target_handle": th}


class Studio:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        r = client.post("/api/v2/sessions", json={"name": "bench creative vision"})
        r.raise_for_status()
        self.session = r.json()
        self.headers = {"X-Session-ID": self.session["id"], "Prefer": "wait=600"}

    def upload(self, path: Path) -> str:
        with path.open("rb") as fh:
            r = self.client.post("/api/v2/media/upload", files={"file": (path.name, fh)})
        r.raise_for_status()
        return str(r.json()["id"])

    def save(self, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        r = self.client.put(f"/api/v2/sessions/{self.session['id']}/flow",
                            json={"graph": {"nodes": nodes, "edges": edges}, "version": self.session["version"]})
        r.raise_for_status()
        self.session["version"] = r.json()["version"]

    def run(self) -> dict[str, Any]:
        r = self.client.post("/api/v2/session/execute", json={"mode": "full"}, headers=self.headers)
        r.raise_for_status()
        run: dict[str, Any] = r.json()
        assert run["status"] == "succeeded", run
        return run

    def rerun(self, nid: str) -> float:
        r = self.client.post(f"/api/v2/session/nodes/{nid}/rerun?isolated=true", headers=self.headers)
        r.raise_for_status()
        state = r.json()["nodes"][nid]
        assert state["status"] == "succeeded", state
        return float(state["finished_at"] - state["started_at"])


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_media(tmp: Path) -> tuple[Path, Path]:
    """A 2 s portrait clip (384 px) and a 6 s 640x360 clip, both with audio."""
    portrait = tmp / "portrait.mp4"
    subprocess.run([*FFMPEG, "-loop", "1", "-framerate", "25", "-i", str(FIXTURES / "astronaut.png"), "-f", "lavfi",
                    "-i", "sine=frequency=440:duration=2", "-t", "2", "-vf", "scale=384:-2", *H264, "-c:a", "aac",
                    "-shortest", str(portrait)], check=True)
    clip = tmp / "clip.mp4"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=6", "-f", "lavfi", "-i",
                    "sine=frequency=330:duration=6", *H264, "-c:a", "aac", "-shortest", str(clip)], check=True)
    return portrait, clip


def direct_video_swap(source_rgb: Any, clip: Path, out_dir: Path) -> None:
    """What video.face_swap does, without the studio: decode, track, swap, FFV1, x264 + audio copy."""
    src_pts = vision.face_landmarks(source_rgb, cache=WARM)[0]
    swapper = FaceSwapper(source_rgb, src_pts)
    track = LandmarkTrack(0, 0.5)
    cap, info = vision.open_video(clip)
    tmp = out_dir / "frames.mkv"
    writer = vision.FrameWriter(tmp, info.fps, info.width, info.height)
    with vision.tracking_face_mesh(2) as mesh:
        for frame in vision.iter_frames(cap):
            pts = track.update(vision.face_landmarks_tracked(mesh, frame))
            writer.write(swapper.swap(frame, pts)[0] if pts is not None else frame)
    writer.close()
    subprocess.run([*FFMPEG, "-r", f"{info.fps:.6f}", "-i", str(tmp), "-i", str(clip), "-map", "0:v:0", "-map",
                    "1:a:0", "-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2", *H264, "-crf", "18", "-c:a", "copy",
                    "-movflags", "+faststart", str(out_dir / "swap.mp4")], check=True)


def direct_parallax(rgb: Any, move: CameraMove, frames: int, fps: int, out_dir: Path) -> None:
    from miniaistudio.runtimes.creative.camera_motion import auto_foreground_mask

    scene = ParallaxScene(rgb, auto_foreground_mask(rgb, cache=WARM))
    h, w = rgb.shape[:2]
    tmp = out_dir / "parallax.mkv"
    writer = vision.FrameWriter(tmp, fps, w, h)
    for i in range(frames):
        t = i / (frames - 1)
        writer.write(scene.render(interpolate(NEUTRAL, move, t * t * (3 - 2 * t))))
    writer.close()
    subprocess.run([*FFMPEG, "-r", str(fps), "-i", str(tmp), "-map", "0:v:0", *H264, "-crf", "18",
                    "-movflags", "+faststart", str(out_dir / "parallax.mp4")], check=True)


def main() -> None:
    import mediapipe as mp
    from PIL import Image

    place_u2netp(MODELS)
    tmp = Path(tempfile.mkdtemp(prefix="bench-vision-"))
    portrait, clip = make_media(tmp)
    fx_presets = ["teal_orange", "rain", "film_grain", "vignette", "cinematic_bars"]
    astro_rgb = vision.rgb_array(Image.open(FIXTURES / "astronaut.png"))
    grace_rgb = vision.rgb_array(Image.open(FIXTURES / "grace_hopper.jpg"))
    cup_rgb = vision.rgb_array(Image.open(FIXTURES / "coffee.png"))
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
    selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    model = MODELS / "segmentation" / "u2netp.onnx"
    out = tmp / "direct"
    out.mkdir()

    def load(name: str) -> Any:
        return vision.rgb_array(Image.open(FIXTURES / name))

    def swap_image() -> None:
        swapper = FaceSwapper(grace_rgb, vision.face_landmarks(grace_rgb, cache=WARM)[0])
        swapper.swap(astro_rgb, vision.face_landmarks(astro_rgb, cache=WARM)[0])

    graph = build_graph(fx_presets, 0.6, width=640, height=360, fps=25, duration=6.0, has_audio=True)
    fx_cmd = [*FFMPEG, "-i", str(clip), "-filter_complex", graph.filter_complex, "-map", f"[{graph.video_label}]",
              "-map", "0:a:0", "-c:a", "copy", *H264, "-crf", "20", "-movflags", "+faststart", str(out / "fx.mp4")]
    kb_move = CameraMove(azimuth=30, elevation=0, distance=0.7)
    kb_cmd = [*FFMPEG, "-i", str(FIXTURES / "astronaut.png"), "-vf", ken_burns_filter(kb_move, 150, 25, 1280, 720),
              "-frames:v", "150", "-r", "25", *H264, "-crf", "18", "-movflags", "+faststart", str(out / "kb.mp4")]
    px_rgb = astro_rgb
    direct: dict[str, Callable[[], object]] = {
        "pose": lambda: pose.process(load("astronaut.png")),
        "person": lambda: selfie.process(load("astronaut.png")),
        "product": lambda: vision.object_mask(load("coffee.png"), model, cache=WARM),
        "swap": swap_image,
        "vswap": lambda: direct_video_swap(grace_rgb, portrait, out),
        "fx": lambda: subprocess.run(fx_cmd, check=True),
        "kb": lambda: subprocess.run(kb_cmd, check=True),
        "px": lambda: direct_parallax(px_rgb, CameraMove(azimuth=-30, elevation=0, distance=0.9), 50, 25, out),
    }
    vision.object_mask(cup_rgb, model, cache=WARM)  # warm the ONNX session
    labels = {"pose": "image.pose (mediapipe pose)", "person": "image.remove_background person",
              "product": "image.remove_background product (u2netp)", "swap": "image.face_swap",
              "vswap": "video.face_swap (2 s, 384 px, 50 frames)", "fx": "video.effects (5 presets, 6 s 640x360)",
              "kb": "video.ken_burns ken_burns (6 s 1280x720)", "px": "video.ken_burns parallax (2 s 512 px)"}
    targets = {"fx": "<= 1.1x", "kb": "<= 1.1x"}
    server = Server(tmp / "data")
    server.env["MINIAI_MODELS_DIR"] = str(MODELS)
    server.create_user()
    server.start()
    rows: list[tuple[str, float, float, str]] = []
    try:
        studio = Studio(server.login())
        astro, grace, cup = (studio.upload(FIXTURES / n) for n in ("astronaut.png", "grace_hopper.jpg", "coffee.png"))
        portrait_id, clip_id = studio.upload(portrait), studio.upload(clip)
        nodes = [node("a", "upload.image", media_ids=[astro]), node("g", "upload.image", media_ids=[grace]),
                 node("c", "upload.image", media_ids=[cup]), node("pv", "upload.video", media_ids=[portrait_id]),
                 node("cv", "upload.video", media_ids=[clip_id]),
                 node("pose", "image.pose"),
                 node("person", "image.remove_background", engine="person"),
                 node("product", "image.remove_background", engine="product"),
                 node("swap", "image.face_swap"),
                 node("vswap", "video.face_swap"),
                 node("fx", "video.effects", presets=fx_presets, intensity=0.6),
                 node("kb", "video.ken_burns", style="ken_burns", azimuth=30, distance=0.7, duration=6, fps=25,
                      width=1280, height=720),
                 node("px", "video.ken_burns", style="parallax", azimuth=-30, distance=0.9, duration=2, fps=25,
                      width=512, height=512)]
        edges = [edge("a", "image", "pose", "image"), edge("a", "image", "person", "image"),
                 edge("c", "image", "product", "image"), edge("g", "image", "swap", "source"),
                 edge("a", "image", "swap", "target"), edge("g", "image", "vswap", "source"),
                 edge("pv", "video", "vswap", "video"), edge("cv", "video", "fx", "video"),
                 edge("a", "image", "kb", "image"), edge("a", "image", "px", "image")]
        studio.save(nodes, edges)
        studio.run()  # warm-up: loads mediapipe graphs and the ONNX session in the server
        # Studio and direct runs alternate, so both see the same load on a shared machine.
        for nid, fn in direct.items():
            fn()  # warm
            studio_times, direct_times = [], []
            for _ in range(3):
                studio_times.append(studio.rerun(nid))
                direct_times.append(best(fn, repeat=1))
            rows.append((labels[nid], min(studio_times), min(direct_times), targets.get(nid, "")))
    finally:
        server.stop()

    print(f"{'node':46} {'studio s':>9} {'direct s':>9} {'ratio':>6}  target")
    for label, studio_s, direct_s, target in rows:
        print(f"{label:46} {studio_s:9.3f} {direct_s:9.3f} {studio_s / direct_s:6.2f}  {target}")


if __name__ == "__main__":
    main()
