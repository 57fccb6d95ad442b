"""Creative audio benchmark (issue 5): each node through the studio versus the same library called directly.

    .venv/bin/python bench/bench_creative_audio.py

A real server process runs each node (warm: every model is loaded by a first run, then a
second run with other parameters is timed from the node's own start/end in the run state).
The direct figures call the same library in this process: llama-cpp-python, piper,
faster-whisper, and the FluidSynth/ffmpeg command lines. Targets: ffmpeg-based nodes
≤ 1.1x the direct time; LLM tokens per second ≥ 90% of llama.cpp alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import httpx

from _server import Server

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / ".cache" / "test-models"
sys.path.insert(0, str(ROOT / "src"))

from miniaistudio.nodes.text_refiner import build_prompt  # noqa: E402
from miniaistudio.runtimes import assets, music  # noqa: E402

SENTENCE = ("The studio turns a short idea into a narrated clip with music and captions, "
            "all on a laptop without a graphics card.")
SRT = "1\n00:00:00,200 --> 00:00:02,500\nHello from the benchmark\n\n2\n00:00:02,600 --> 00:00:05,500\nBurned in\n"
LLM_TOKENS = 96


def node(nid: str, ntype: str, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": ntype, "position": {"x": 0, "y": 0}, "params": params}


def edge(src: str, sh: str, dst: str, th: str) -> dict[str, Any]:
    return {"id": f"{src}-{dst}-{th}", "source": src, "source_handle": sh, "target": dst, "target_handle": th}


class Studio:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        r = client.post("/api/v2/sessions", json={"name": "bench creative audio"})
        r.raise_for_status()
        self.session = r.json()

    def run(self, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
        r = self.client.put(f"/api/v2/sessions/{self.session['id']}/flow",
                            json={"graph": {"nodes": nodes, "edges": edges}, "version": self.session["version"]})
        r.raise_for_status()
        self.session["version"] = r.json()["version"]
        r = self.client.post("/api/v2/session/execute", json={"mode": "full"},
                             headers={"X-Session-ID": self.session["id"], "Prefer": "wait=300"})
        r.raise_for_status()
        run: dict[str, Any] = r.json()
        assert run["status"] == "succeeded", run
        return run


def node_seconds(run: dict[str, Any], nid: str) -> float:
    state = run["nodes"][nid]
    return float(state["finished_at"] - state["started_at"])


def best(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    assets.configure(MODELS)
    for place in (assets.default_llm_path, assets.whisper_model_dir, assets.default_piper_voice):
        place()
    tmp = Path(tempfile.mkdtemp(prefix="bench-creative-"))
    server = Server(tmp / "data")
    server.env["MINIAI_MODELS_DIR"] = str(MODELS)
    server.create_user()
    server.start()
    print(f"server start-up: {server.startup_seconds:.2f} s")
    rows: list[tuple[str, float, float, str]] = []
    try:
        studio = Studio(server.login())
        rows.append(bench_llm(studio))
        rows.append(bench_tts(studio, tmp))
        rows.append(bench_stt(studio, tmp))
        rows.append(bench_music(studio, tmp))
        rows.append(bench_burn(studio, tmp))
    finally:
        server.stop()
    print(f"\n{'node':<28}{'studio':>12}{'direct':>12}{'ratio':>8}  target")
    for name, studio_s, direct_s, target in rows:
        if name.endswith("tokens/s"):
            print(f"{name:<28}{studio_s:>12.1f}{direct_s:>12.1f}{studio_s / direct_s:>8.2f}  {target}")
        else:
            print(f"{name:<28}{studio_s:>11.3f}s{direct_s:>11.3f}s{studio_s / direct_s:>8.2f}  {target}")


def bench_llm(studio: Studio) -> tuple[str, float, float, str]:
    from llama_cpp import Llama

    text = "a lighthouse on a cliff at night"
    params = {"preset": "custom", "max_tokens": LLM_TOKENS, "temperature": 0.0,
              "system_prompt": "Write a long, detailed story about the input."}
    nodes = [node("t", "text", text=text), node("r", "text.refine", **params, seed=1)]
    studio.run(nodes, [edge("t", "text", "r", "text")])  # load the model in the server
    nodes[1]["params"]["seed"] = 2  # other params: not cached; greedy, so the same tokens
    run = studio.run(nodes, [edge("t", "text", "r", "text")])
    message = run["nodes"]["r"]["message"]
    tokens = int(message.split(": ", 1)[1].split(" tokens")[0])
    studio_tps = tokens / node_seconds(run, "r")

    built = build_prompt("custom", text, system_prompt=params["system_prompt"])
    llm = Llama(model_path=str(assets.default_llm_path()), n_ctx=2048, n_threads=os.cpu_count() or 1,
                n_threads_batch=os.cpu_count() or 1, n_batch=512, seed=0, verbose=False)

    def direct() -> int:
        n = 0
        for _ in llm.create_completion(built.prompt, max_tokens=LLM_TOKENS, temperature=0.0, top_p=0.95, top_k=40,
                                       repeat_penalty=1.15, stop=list(built.stop), stream=True):
            n += 1
        return n

    direct()  # warm
    t0 = time.perf_counter()
    n = direct()
    direct_tps = n / (time.perf_counter() - t0)
    print(f"LLM: studio {tokens} tokens in {node_seconds(run, 'r'):.2f} s; direct {n} tokens")
    return "text.refine tokens/s", studio_tps, direct_tps, ">= 0.90"


def bench_tts(studio: Studio, tmp: Path) -> tuple[str, float, float, str]:
    from piper import PiperVoice

    nodes = [node("t", "text", text=SENTENCE), node("s", "audio.tts", format="wav", rate=1.0)]
    studio.run(nodes, [edge("t", "text", "s", "text")])
    nodes[1]["params"]["rate"] = 1.01
    run = studio.run(nodes, [edge("t", "text", "s", "text")])
    model, config = assets.default_piper_voice()
    voice = PiperVoice.load(str(model), config_path=str(config))

    def direct() -> None:
        with wave.open(str(tmp / "direct.wav"), "wb") as wav:
            voice.synthesize_wav(SENTENCE, wav)

    direct()
    return "audio.tts (piper, wav)", node_seconds(run, "s"), best(direct), "(piper + ffmpeg pass)"


def bench_stt(studio: Studio, tmp: Path) -> tuple[str, float, float, str]:
    from faster_whisper import WhisperModel

    nodes = [node("t", "text", text=SENTENCE), node("s", "audio.tts", format="wav"),
             node("w", "audio.transcribe", language="en", beam_size=1)]
    edges = [edge("t", "text", "s", "text"), edge("s", "audio", "w", "media")]
    studio.run(nodes, edges)
    nodes[2]["params"]["beam_size"] = 2
    run = studio.run(nodes, edges)
    speech = tmp / "direct.wav"
    model = WhisperModel(str(assets.whisper_model_dir()), device="cpu", compute_type="int8",
                         cpu_threads=os.cpu_count() or 1)

    def direct() -> None:
        segments, _ = model.transcribe(str(speech), language="en", beam_size=2, condition_on_previous_text=False)
        list(segments)

    direct()
    return "audio.transcribe (base)", node_seconds(run, "w"), best(direct), "(faster-whisper)"


def bench_music(studio: Studio, tmp: Path) -> tuple[str, float, float, str]:
    params = {"style": "lofi hip hop", "mood": "calm", "tempo": 90, "duration": 20.0, "format": "mp3"}
    run = studio.run([node("m", "audio.music", **params, seed=1)], [])
    run = studio.run([node("m", "audio.music", **params, seed=2)], [])
    mid, wav, mp3 = tmp / "direct.mid", tmp / "direct-music.wav", tmp / "direct.mp3"

    def direct() -> None:
        comp = music.compose(style_notes="lofi hip hop", mood="calm", tempo=90, key="auto", duration=20.0, seed=2)
        mid.write_bytes(music.midi_bytes(comp))
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.7", "-r", "44100", "-T", "wav", "-F", str(wav),
                        str(music.soundfont()), str(mid)], check=True, capture_output=True)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-af",
                        "apad,atrim=0:20,afade=t=out:st=18:d=2,alimiter=limit=0.95", "-ar", "44100",
                        "-c:a", "libmp3lame", "-q:a", "2", str(mp3)], check=True)

    return "audio.music (20 s, mp3)", node_seconds(run, "m"), best(direct), "<= 1.10 (fluidsynth+ffmpeg)"


def bench_burn(studio: Studio, tmp: Path) -> tuple[str, float, float, str]:
    clip = tmp / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=25:duration=6", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip)], check=True)
    r = studio.client.post("/api/v2/media/upload", files={"file": ("clip.mp4", clip.read_bytes())})
    r.raise_for_status()
    media_id = r.json()["id"]
    nodes = [node("v", "upload.video", media_ids=[media_id]), node("s", "text", text=SRT),
             node("b", "video.burn_captions", crf=20)]
    edges = [edge("v", "video", "b", "video"), edge("s", "text", "b", "captions")]
    studio.run(nodes, edges)
    nodes[2]["params"]["crf"] = 21
    run = studio.run(nodes, edges)
    srt = tmp / "subs.srt"
    srt.write_text(SRT)
    style = ("FontName=DejaVu Sans,FontSize=18,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,"
             "BackColour=&H00000000,BorderStyle=1,Outline=1.5,Shadow=0,Alignment=2,MarginV=16")

    def direct() -> None:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(clip), "-map", "0:v:0", "-map", "0:a?",
                        "-vf", f"subtitles={srt}:force_style='{style}'", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        "-crf", "21", "-preset", "veryfast", "-c:a", "copy", "-movflags", "+faststart",
                        str(tmp / "burned.mp4")], check=True)

    return "video.burn_captions (6 s)", node_seconds(run, "b"), best(direct), "<= 1.10"


if __name__ == "__main__":
    main()
