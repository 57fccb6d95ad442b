"""Video effects presets as ffmpeg filter graphs (classical; no video model is reachable here).

Every preset is a filter chain; several combine in a fixed order: time (speed ramp, slow
motion) → colour grades → glow → atmosphere overlays (fog, rain, snow, light leaks) → film
grain → vignette → cinematic bars. ``intensity`` (0..1) scales each one.

Atmosphere is generated inside the filter graph from ffmpeg sources, no files: a fixed
noise pattern (``noise`` without the temporal flag) at low resolution, thresholded into sparse
drops or flakes (the noise spans 0..65 on black, so thresholds near 62 keep 1-3 %), scaled
up (streaks for rain, soft blobs for snow, clouds for fog) and moved with ``scroll``; light
leaks are ffmpeg's moving ``gradients``. Overlays are screen-blended in RGB.

Audio: kept and stream-copied when no time preset is used. Slow motion slows the audio with
``atempo`` (pitch kept) to stay in sync; the speed ramp cuts the audio in three parts and
speeds up the middle one with ``atempo`` like the picture. Both re-encode the audio to AAC.
Slow motion repeats frames (no motion interpolation: ``minterpolate`` is too slow on 2 cores).

Keyword table for the ``prompt`` (whole words, case-insensitive; see :data:`KEYWORDS`):

============== ===============================================================
preset         keywords
============== ===============================================================
film_grain     grain, grainy, film, 16mm, 35mm, analog, celluloid
rain           rain, rainy, raining, storm, stormy, drizzle, downpour
snow           snow, snowy, snowing, snowfall, winter, blizzard, snowflakes
fog            fog, foggy, mist, misty, haze, hazy, smoke, smoky
glow           glow, glowing, dreamy, bloom, ethereal, soft light, halation
light_leaks    light leak(s), leak(s), flare, lens flare, sun flare
teal_orange    teal, teal and orange, orange and teal, blockbuster, hollywood
noir           noir, black and white, black & white, b&w, monochrome, grayscale
vintage        vintage, retro, old film, sepia, 70s, 1970s, nostalgic, faded
warm           warm, warmer, golden, golden hour, sunset, cozy
cool           cool, cooler, cold, icy, blue hour, moonlight
vignette       vignette, vignetting, dark corners
speed_ramp     speed ramp, ramp, speed up, fast forward, timelapse
slow_motion    slow motion, slow-motion, slow mo, slow-mo, slowmo, slowed
cinematic_bars cinematic, letterbox, letterboxed, widescreen, anamorphic, bars
============== ===============================================================
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

ENGINE = "ffmpeg-filtergraph"

PRESET_ORDER = ("speed_ramp", "slow_motion", "teal_orange", "noir", "vintage", "warm", "cool", "glow",
                "fog", "rain", "snow", "light_leaks", "film_grain", "vignette", "cinematic_bars")
TIME_PRESETS = frozenset({"speed_ramp", "slow_motion"})

KEYWORDS: dict[str, tuple[str, ...]] = {
    "film_grain": ("grain", "grainy", "film", "16mm", "35mm", "analog", "celluloid"),
    "rain": ("rain", "rainy", "raining", "storm", "stormy", "drizzle", "downpour"),
    "snow": ("snow", "snowy", "snowing", "snowfall", "winter", "blizzard", "snowflakes"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky"),
    "glow": ("glow", "glowing", "dreamy", "bloom", "ethereal", "soft light", "halation"),
    "light_leaks": ("light leak", "light leaks", "leak", "leaks", "flare", "lens flare", "sun flare"),
    "teal_orange": ("teal", "teal and orange", "orange and teal", "blockbuster", "hollywood"),
    "noir": ("noir", "black and white", "black & white", "b&w", "monochrome", "grayscale"),
    "vintage": ("vintage", "retro", "old film", "sepia", "70s", "1970s", "nostalgic", "faded"),
    "warm": ("warm", "warmer", "golden", "golden hour", "sunset", "cozy"),
    "cool": ("cool", "cooler", "cold", "icy", "blue hour", "moonlight"),
    "vignette": ("vignette", "vignetting", "dark corners"),
    "speed_ramp": ("speed ramp", "ramp", "speed up", "fast forward", "timelapse"),
    "slow_motion": ("slow motion", "slow-motion", "slow mo", "slow-mo", "slowmo", "slowed"),
    "cinematic_bars": ("cinematic", "letterbox", "letterboxed", "widescreen", "anamorphic", "bars"),
}


def presets_from_prompt(prompt: str) -> list[str]:
    """Presets whose keywords appear in ``prompt`` as whole words, in the fixed preset order."""
    text = " " + re.sub(r"\s+", " ", prompt.lower()) + " "
    found = set()
    for preset, words in KEYWORDS.items():
        for word in words:
            if re.search(r"(?<![a-z0-9])" + re.escape(word) + r"(?![a-z0-9])", text):
                found.add(preset)
                break
    return [p for p in PRESET_ORDER if p in found]


@dataclass
class EffectGraph:
    """A ``-filter_complex`` graph with its output labels and the resulting duration."""

    filter_complex: str
    video_label: str
    audio_label: str | None  # None: copy the input's audio as is (or there is none)
    duration: float
    applied: list[str] = field(default_factory=list)


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def build_graph(presets: list[str], intensity: float, *, width: int, height: int, fps: float,
                duration: float, has_audio: bool, seed: int = 7) -> EffectGraph:
    """The filter graph applying ``presets`` (any order given; applied in :data:`PRESET_ORDER`)."""
    unknown = [p for p in presets if p not in PRESET_ORDER]
    if unknown:
        raise ValueError(f"unknown presets: {', '.join(unknown)}")
    chosen = [p for p in PRESET_ORDER if p in presets]
    i = min(max(intensity, 0.0), 1.0)
    w, h = width, height
    r = _num(fps)
    chains: list[str] = []
    label = "0:v"
    n = 0

    def step(body: str, *extra_inputs: str) -> None:
        nonlocal label, n
        n += 1
        out = f"v{n}"
        inputs = "".join(f"[{x}]" for x in (label, *extra_inputs))
        chains.append(f"{inputs}{body}[{out}]")
        label = out

    def source(body: str) -> str:
        nonlocal n
        n += 1
        name = f"s{n}"
        chains.append(f"{body}[{name}]")
        return name

    def screen(src_label: str, opacity: float) -> None:
        step("format=gbrp")  # main layer in RGB for the blend
        src_rgb = source(f"[{src_label}]format=gbrp")
        step(f"blend=all_mode=screen:all_opacity={_num(opacity)}:shortest=1", src_rgb)

    audio_chain: list[str] = []
    out_duration = duration
    # -- time ---------------------------------------------------------------------------------
    if "speed_ramp" in chosen:
        a, b, s = duration * 0.35, duration * 0.65, 1.0 + 2.0 * i
        expr = (f"if(lt(T,{_num(a)}),T,if(lt(T,{_num(b)}),{_num(a)}+(T-{_num(a)})/{_num(s)},"
                f"{_num(a)}+{_num((b - a) / s)}+(T-{_num(b)})))/TB")
        step(f"setpts='{expr}',fps={r}")
        out_duration = a + (b - a) / s + (duration - b)
        if has_audio:
            audio_chain.append(
                f"asplit=3[a1][a2][a3];[a1]atrim=0:{_num(a)},asetpts=PTS-STARTPTS[b1];"
                f"[a2]atrim={_num(a)}:{_num(b)},asetpts=PTS-STARTPTS,atempo={_num(s)}[b2];"
                f"[a3]atrim={_num(b)},asetpts=PTS-STARTPTS[b3];[b1][b2][b3]concat=n=3:v=0:a=1")
    if "slow_motion" in chosen:
        f = 1.0 + i  # up to 2x slower
        step(f"setpts={_num(f)}*PTS,fps={r}")
        out_duration *= f
        if has_audio:
            audio_chain.append(f"atempo={_num(1.0 / f)}")
    # -- colour grades -------------------------------------------------------------------------
    if "teal_orange" in chosen:
        step(f"colorbalance=rs={_num(-0.12 * i)}:bs={_num(0.15 * i)}:rm={_num(0.06 * i)}:bm={_num(-0.04 * i)}"
             f":rh={_num(0.12 * i)}:gh={_num(0.03 * i)}:bh={_num(-0.12 * i)},eq=saturation={_num(1 + 0.2 * i)}")
    if "noir" in chosen:
        step(f"hue=s={_num(max(0.0, 1.0 - 2.0 * i))},eq=contrast={_num(1 + 0.35 * i)}:brightness={_num(-0.03 * i)}")
    if "vintage" in chosen:
        k = 0.75 * i  # sepia mix
        m = [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]]
        mix = [[(1 - k) * (1.0 if row == col else 0.0) + k * m[row][col] for col in range(3)] for row in range(3)]
        names = ("r", "g", "b")
        coeffs = ":".join(f"{names[row]}{names[col]}={_num(mix[row][col])}" for row in range(3) for col in range(3))
        step(f"colorchannelmixer={coeffs},eq=contrast={_num(1 - 0.12 * i)}:saturation={_num(1 - 0.25 * i)}")
    if "warm" in chosen:
        step(f"colortemperature=temperature={int(6500 - 3000 * i)}")
    if "cool" in chosen:
        step(f"colortemperature=temperature={int(6500 + 5000 * i)}")
    # -- glow ----------------------------------------------------------------------------------
    if "glow" in chosen:
        n += 1
        base, blur, glow = f"g{n}a", f"g{n}b", f"g{n}c"
        chains.append(f"[{label}]format=gbrp,split[{base}][{blur}]")
        chains.append(f"[{blur}]gblur=sigma={_num(max(w, h) * 0.02)},eq=brightness=0.04[{glow}]")
        label = base
        step(f"blend=all_mode=screen:all_opacity={_num(0.6 * i)}", glow)
    # -- atmosphere ----------------------------------------------------------------------------
    if "fog" in chosen:
        fw, fh = max(4, w // 24), max(4, h // 24)
        fog = source(f"color=c=0x808080:s={fw}x{fh}:r={r},format=gray,noise=c0s=70:c0f=u:all_seed={seed},"
                     f"scale={w}:{h}:flags=bicubic,gblur=sigma={_num(max(w, h) * 0.02)},eq=contrast=3:brightness=0.12,"
                     f"scroll=horizontal=0.0015")
        step(f"eq=contrast={_num(1 - 0.3 * i)}:brightness={_num(0.04 * i)}")
        screen(fog, 0.9 * i)
    if "rain" in chosen:
        rw, rh = max(4, w // 2), max(4, h // 8)
        rain = source(f"color=c=black:s={rw}x{rh}:r={r},format=gray,noise=c0s=100:c0f=u:all_seed={seed + 1},"
                      f"lut=y='if(gt(val\\,{64 - round(3 * i)})\\,255\\,0)',scale={w}:{h}:flags=bilinear,"
                      f"gblur=sigma=0.6:sigmaV=3,rotate=0.12:fillcolor=black,scroll=vertical=-0.05")
        step(f"eq=brightness={_num(-0.06 * i)}:saturation={_num(1 - 0.2 * i)}")
        screen(rain, 0.5 + 0.4 * i)
    if "snow" in chosen:
        sw, sh = max(4, w // 5), max(4, h // 5)
        snow = source(f"color=c=black:s={sw}x{sh}:r={r},format=gray,noise=c0s=100:c0f=u:all_seed={seed + 2},"
                      f"lut=y='if(gt(val\\,{64 - round(2 * i)})\\,255\\,0)',scale={w}:{h}:flags=bicubic,"
                      f"gblur=sigma={_num(max(1.0, max(w, h) / 400))},scroll=vertical=-0.004:horizontal=0.001")
        screen(snow, 0.6 + 0.4 * i)
    if "light_leaks" in chosen:
        leak = source(f"gradients=s={w}x{h}:r={r}:c0=0xff5a00:c1=0x000000:c2=0xffc040:c3=0x000000:"
                      f"nb_colors=4:speed=0.015:seed={seed}")
        screen(leak, 0.85 * i)
    # -- grain, vignette, bars -----------------------------------------------------------------
    if "film_grain" in chosen:
        step(f"noise=c0s={int(6 + 24 * i)}:c0f=t+u")
    if "vignette" in chosen:
        step(f"vignette=angle={_num(math.pi / 8 + math.pi / 4 * i)}")
    if "cinematic_bars" in chosen:
        bar = max(round((h - w / 2.39) / 2), round(0.06 * h))
        step(f"drawbox=x=0:y=0:w=iw:h={bar}:color=black:t=fill,"
             f"drawbox=x=0:y=ih-{bar}:w=iw:h={bar}:color=black:t=fill")
    step("format=yuv420p")
    audio_label: str | None = None
    if audio_chain:
        chains.append("[0:a]" + ",".join(audio_chain) + "[aout]")
        audio_label = "aout"
    return EffectGraph(";".join(chains), label, audio_label, out_duration, chosen)
