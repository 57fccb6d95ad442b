"""Algorithmic music: composition from style notes, mood, tempo, key and length; FluidSynth rendering.

No neural music model is reachable offline, so the Music Generator composes: a chord
progression and a melody chosen from the mood, instruments and drum patterns from the
style notes, and an arrangement (intro, verses, choruses, bridge, outro) sized to the
duration. Every choice draws from ``random.Random(seed)``, so one seed gives one piece
(identical MIDI bytes). The MIDI is rendered to audio by the FluidSynth CLI with a General
MIDI soundfont (Debian ``fluid-soundfont-gm``).
"""

from __future__ import annotations

import difflib
import hashlib
import io
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...core.errors import NodeFailed, ToolMissing
from ..packages import require_package

SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"),
              Path("/usr/share/sounds/sf2/TimGM6mb.sf2"))
PRETTY_MIDI_PACKAGE = "pretty_midi"

NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

# Roman numerals: (semitones above the tonic, chord quality).
ROMAN: dict[str, tuple[int, str]] = {
    "I": (0, "maj"), "ii": (2, "min"), "iii": (4, "min"), "IV": (5, "maj"), "V": (7, "maj"), "vi": (9, "min"),
    "i": (0, "min"), "bII": (1, "maj"), "III": (3, "maj"), "iv": (5, "min"), "v": (7, "min"), "VI": (8, "maj"),
    "VII": (10, "maj"),
}
QUALITY = {"maj": (0, 4, 7), "min": (0, 3, 7)}
SEVENTH = {"maj": 11, "min": 10}
DOMINANT_SEVENTH = 10
DOMINANTS = ("V", "VII")  # chords whose seventh is minor (dominant seventh chords)


@dataclass(frozen=True)
class Mood:
    mode: str  # major | minor
    tonics: tuple[str, ...]
    progressions: tuple[tuple[str, ...], ...]
    density: int  # 0 sparse .. 2 busy melody
    velocity: int
    tempo: int  # default bpm


MOODS: dict[str, Mood] = {
    "happy": Mood("major", ("C", "G", "D", "F"), (("I", "V", "vi", "IV"), ("I", "IV", "V", "IV"),
                                                  ("I", "vi", "IV", "V")), 2, 96, 116),
    "energetic": Mood("major", ("E", "A", "D", "G"), (("I", "V", "vi", "IV"), ("vi", "IV", "I", "V"),
                                                      ("I", "IV", "vi", "V")), 2, 104, 128),
    "calm": Mood("major", ("F", "C", "G", "D"), (("I", "iii", "IV", "I"), ("I", "IV", "I", "V"),
                                                 ("IV", "I", "ii", "V")), 0, 70, 76),
    "romantic": Mood("major", ("Eb", "Bb", "F", "Ab"), (("I", "vi", "ii", "V"), ("I", "iii", "vi", "IV"),
                                                        ("IV", "V", "iii", "vi")), 1, 80, 84),
    "sad": Mood("minor", ("A", "D", "E", "C"), (("i", "VI", "III", "VII"), ("i", "iv", "VI", "V"),
                                                ("i", "VII", "VI", "VII")), 0, 72, 72),
    "dark": Mood("minor", ("D", "C", "F", "B"), (("i", "VI", "VII", "i"), ("i", "iv", "v", "i"),
                                                 ("i", "bII", "i", "VII")), 1, 88, 92),
    "epic": Mood("minor", ("D", "C", "E", "G"), (("i", "VI", "III", "VII"), ("VI", "VII", "i", "i"),
                                                 ("i", "VII", "VI", "VII")), 1, 100, 120),
    "mysterious": Mood("minor", ("E", "B", "F#", "C"), (("i", "bII", "i", "VII"), ("i", "iv", "i", "VI"),
                                                        ("i", "VI", "iv", "V")), 0, 74, 88),
}


@dataclass(frozen=True)
class Style:
    name: str
    keywords: tuple[str, ...]
    chords: int  # GM program
    bass: int | None
    lead: int
    pad: int | None  # doubles the chords in choruses
    comp: str  # how chords are played: block | arpeggio | stabs | sustain | strum | power
    bass_line: str  # roots | eighths | walking | offbeat | sustain
    drums: str | None  # pattern name
    swing: float = 0.0
    sevenths: bool = False


STYLES: tuple[Style, ...] = (
    Style("lofi", ("lofi", "lo-fi", "chill", "hip hop", "hip-hop", "hiphop", "boom bap", "study"),
          chords=4, bass=33, lead=11, pad=89, comp="stabs", bass_line="roots", drums="boombap", swing=0.18,
          sevenths=True),
    Style("jazz", ("jazz", "swing", "lounge", "bebop", "bossa", "smooth"),
          chords=0, bass=32, lead=66, pad=None, comp="stabs", bass_line="walking", drums="swing", swing=0.22,
          sevenths=True),
    Style("electronic", ("edm", "electronic", "techno", "house", "dance", "synth", "trance", "club", "disco"),
          chords=90, bass=38, lead=81, pad=89, comp="offbeat", bass_line="offbeat", drums="four"),
    Style("rock", ("rock", "punk", "metal", "grunge", "guitar", "indie"),
          chords=29, bass=34, lead=30, pad=None, comp="power", bass_line="eighths", drums="rock"),
    Style("orchestral", ("orchestral", "cinematic", "epic", "film", "classical", "strings", "trailer", "score"),
          chords=48, bass=43, lead=60, pad=52, comp="sustain", bass_line="sustain", drums="cinematic"),
    Style("ambient", ("ambient", "drone", "meditation", "relax", "spa", "space", "dreamy", "atmospheric"),
          chords=88, bass=None, lead=8, pad=91, comp="sustain", bass_line="sustain", drums=None),
    Style("folk", ("folk", "acoustic", "country", "campfire", "singer-songwriter"),
          chords=25, bass=32, lead=73, pad=None, comp="strum", bass_line="roots", drums="folk"),
    Style("piano", ("piano", "ballad", "solo piano", "nocturne"),
          chords=0, bass=None, lead=0, pad=None, comp="arpeggio", bass_line="sustain", drums=None),
    Style("pop", ("pop",), chords=0, bass=33, lead=53, pad=48, comp="block", bass_line="roots", drums="pop"),
)
STYLE_NAMES = tuple(s.name for s in STYLES)


_BY_NAME = {s.name: s for s in STYLES}

#: Genres we have no arrangement of our own for, and the arrangement closest to each.
GENRE_NEIGHBOURS: dict[str, str] = {
    "synthwave": "electronic", "retrowave": "electronic", "vaporwave": "electronic", "outrun": "electronic",
    "dubstep": "electronic", "drum and bass": "electronic", "dnb": "electronic", "garage": "electronic",
    "electro": "electronic", "chiptune": "electronic", "8-bit": "electronic", "idm": "electronic",
    "hyperpop": "electronic", "eurodance": "electronic", "trap": "lofi", "rap": "lofi", "r&b": "lofi",
    "rnb": "lofi", "chillhop": "lofi", "soul": "jazz", "funk": "jazz", "blues": "jazz", "latin": "jazz",
    "samba": "jazz", "gospel": "piano", "lullaby": "piano", "reggae": "folk", "bluegrass": "folk",
    "celtic": "folk", "americana": "folk", "emo": "rock", "shoegaze": "rock", "post-rock": "rock",
    "hard rock": "rock", "new age": "ambient", "chillwave": "ambient", "lounge music": "jazz",
    "symphonic": "orchestral", "orchestra": "orchestral", "soundtrack": "orchestral", "soundscape": "ambient",
    "k-pop": "pop", "kpop": "pop", "j-pop": "pop", "dance-pop": "pop", "synthpop": "electronic",
}
StyleHow = Literal["chosen", "keyword", "nearest", "default"]


@dataclass(frozen=True)
class StyleChoice:
    """Which arrangement plays, and why: said to the user so free text never silently becomes pop."""

    style: Style
    how: StyleHow
    term: str | None = None

    def explain(self) -> str:
        if self.how == "keyword":
            return f"style {self.style.name} (from '{self.term}')"
        if self.how == "nearest":
            return f"style {self.style.name} (nearest to '{self.term}')"
        if self.how == "default":
            return f"style {self.style.name} (no genre recognised in the style notes)"
        return f"style {self.style.name}"

    def summary(self) -> dict[str, Any]:
        return {"used": self.style.name, "how": self.how, "term": self.term}


def _has(text: str, term: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text) is not None


def match_style(notes: str, chosen: str = "auto") -> StyleChoice:
    """The arrangement for free-text style notes: a chosen style, a genre keyword, the nearest genre, or pop."""
    if chosen != "auto":
        return StyleChoice(_BY_NAME[chosen], "chosen")
    text = notes.lower()
    for style in STYLES:
        for keyword in style.keywords:
            if _has(text, keyword):
                return StyleChoice(style, "keyword", keyword)
    for genre, neighbour in GENRE_NEIGHBOURS.items():
        if _has(text, genre):
            return StyleChoice(_BY_NAME[neighbour], "nearest", genre)
    words = re.findall(r"[a-z][a-z&'-]+", text)
    for word in words:  # "synthwaves", "orchestrated", "jazzy": a known keyword starts the word
        for style in STYLES:
            if any(len(k) >= 4 and " " not in k and word.startswith(k) for k in style.keywords):
                return StyleChoice(style, "nearest", word)
    keywords = {k: s for s in STYLES for k in s.keywords} | {g: _BY_NAME[n] for g, n in GENRE_NEIGHBOURS.items()}
    for word in words:  # typos: "orchestal", "elektronic"
        close = difflib.get_close_matches(word, list(keywords), n=1, cutoff=0.8)
        if close:
            return StyleChoice(keywords[close[0]], "nearest", word)
    return StyleChoice(_BY_NAME["pop"], "default")



def tempo_from_notes(notes: str) -> int | None:
    match = re.search(r"\b(\d{2,3})\s*bpm\b", notes.lower())
    return int(match.group(1)) if match and 40 <= int(match.group(1)) <= 220 else None


def parse_key(key: str) -> tuple[int, str] | None:
    """``"A minor"``, ``"F# major"``, ``"Bbm"`` → (pitch class, mode); "auto" → None."""
    text = key.strip()
    if not text or text.lower() == "auto":
        return None
    match = re.fullmatch(r"([A-Ga-g])([#b]?)\s*(major|minor|maj|min|m)?", text, flags=re.IGNORECASE)
    if match is None:
        raise NodeFailed(f"unknown key {key!r}; write e.g. 'C major', 'A minor', 'F# minor' or 'auto'",
                         code="INVALID_PARAMETER", details={"key": key})
    letter, accidental, mode = match.groups()
    pc = (_PITCH_CLASS[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    minor = (mode or "").lower() in ("minor", "min", "m")
    return pc, "minor" if minor else "major"


@dataclass(frozen=True)
class Note:
    pitch: int
    start: float  # seconds
    end: float
    velocity: int


@dataclass
class Track:
    name: str
    program: int
    is_drum: bool = False
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    name: str
    start_bar: int
    bars: int


@dataclass
class Composition:
    tempo: int
    tonic: int  # pitch class
    mode: str
    style: str
    mood: str
    duration: float
    sections: list[Section]
    progressions: dict[str, list[str]]  # section name -> chord names
    tracks: list[Track]

    @property
    def key_name(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"

    @property
    def bar_seconds(self) -> float:
        return 4 * 60.0 / self.tempo

    def vocal_slots(self) -> list[float]:
        """Bar start times (seconds) where sung/spoken lines may begin: verses, choruses, bridge."""
        return [(s.start_bar + b) * self.bar_seconds for s in self.sections
                if s.name in ("verse", "chorus", "bridge") for b in range(s.bars)]

    def summary(self) -> dict[str, Any]:
        return {"tempo": self.tempo, "key": self.key_name, "style": self.style, "mood": self.mood,
                "time_signature": "4/4", "duration": round(self.duration, 3),
                "sections": [{"name": s.name, "start_bar": s.start_bar, "bars": s.bars} for s in self.sections],
                "chords": self.progressions,
                "instruments": {t.name: ("drums" if t.is_drum else t.program) for t in self.tracks}}


def chord_name(tonic: int, roman: str, sevenths: bool) -> str:
    offset, quality = ROMAN[roman]
    root = NOTE_NAMES[(tonic + offset) % 12]
    suffix = "m" if quality == "min" else ""
    if sevenths:
        suffix += "7" if (quality == "min" or roman in DOMINANTS) else "maj7"
    return root + suffix


def chord_pitches(tonic: int, roman: str, sevenths: bool) -> list[int]:
    """Pitch classes of the chord, root first."""
    offset, quality = ROMAN[roman]
    root = (tonic + offset) % 12
    pcs = [(root + i) % 12 for i in QUALITY[quality]]
    if sevenths:
        seventh = DOMINANT_SEVENTH if roman in DOMINANTS else SEVENTH[quality]
        pcs.append((root + seventh) % 12)
    return pcs


def voice(pcs: list[int], previous: list[int] | None, low: int = 55, high: int = 74) -> list[int]:
    """The voicing of these pitch classes in [low, high] closest to the previous chord."""
    candidates: list[list[int]] = []
    for inversion in range(len(pcs)):
        order = pcs[inversion:] + pcs[:inversion]
        for base in range(low, low + 12):
            if base % 12 != order[0]:
                continue
            notes = [base]
            for pc in order[1:]:
                nxt = notes[-1] + ((pc - notes[-1]) % 12 or 12)
                notes.append(nxt)
            if notes[-1] <= high:
                candidates.append(notes)
    if not candidates:
        return [low + (pc - low) % 12 for pc in pcs]
    if previous is None:
        return min(candidates, key=lambda n: abs(sum(n) / len(n) - (low + high) / 2))
    return min(candidates, key=lambda n: sum(min(abs(a - b) for b in previous) for a in n))


def arrange(total_bars: int, rng: random.Random) -> list[Section]:
    """Intro, alternating 4-bar verses and choruses (a bridge in long pieces), outro."""
    if total_bars <= 2:
        return [Section("chorus", 0, total_bars)]
    intro = 2 if total_bars >= 16 else 1
    outro = 2 if total_bars >= 16 else (1 if total_bars >= 5 else 0)
    sections = [Section("intro", 0, intro)]
    bar = intro
    body_end = total_bars - outro
    order = ["verse", "chorus"]
    index = 0
    while bar < body_end:
        name = order[index % 2]
        if index >= 4 and index % 4 == 0 and body_end - bar >= 8 and rng.random() < 0.7:
            name = "bridge"
        bars = min(4, body_end - bar)
        sections.append(Section(name, bar, bars))
        bar += bars
        index += 1
    if outro:
        sections.append(Section("outro", bar, outro))
    return sections


RHYTHMS = {
    0: (((0, 2), (2, 2)), ((0, 3), (3, 1)), ((0, 1), (1, 1), (2, 2)), ((0, 4),)),
    1: (((0, 1), (1, 1), (2, 1), (3, 1)), ((0, 1.5), (1.5, 0.5), (2, 2)), ((0, 1), (1, 0.5), (1.5, 0.5), (2, 2)),
        ((0, 2), (2, 1), (3, 1))),
    2: (((0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)), ((0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)),
        ((0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)), ((0, 1.5), (1.5, 0.5), (2, 0.5), (2.5, 1.5))),
}


def _melody_phrase(rng: random.Random, density: int, bars: int) -> list[list[tuple[float, float, int]]]:
    """A phrase: per bar, (beat, length, contour step) triples; pitches are fitted to chords later."""
    phrase: list[list[tuple[float, float, int]]] = []
    motif = rng.choice(RHYTHMS[density])
    for b in range(bars):
        rhythm = motif if b % 2 == 0 else rng.choice(RHYTHMS[density])
        steps = [rng.choice((-2, -1, -1, 1, 1, 2, 0)) for _ in rhythm]
        phrase.append([(beat, length, step) for (beat, length), step in zip(rhythm, steps, strict=True)])
    return phrase


def _fit_pitch(target_pc: list[int], scale: list[int], previous: int, step: int, strong: bool,
               low: int, high: int) -> int:
    if strong:  # chord tone nearest the contour's wish
        wish = previous + 2 * step
        options = [p for p in range(low, high + 1) if p % 12 in target_pc]
        return min(options, key=lambda p: (abs(p - wish), p))
    options = [p for p in range(low, high + 1) if p % 12 in scale]
    idx = min(range(len(options)), key=lambda i: abs(options[i] - previous))
    idx = max(0, min(len(options) - 1, idx + step))
    return options[idx]


def compose(*, style_notes: str, mood: str, tempo: int | None, key: str, duration: float, seed: int,
            style_name: str = "auto") -> Composition:
    """A complete piece as note lists (no MIDI library needed), deterministic for the seed.

    ``style_name`` names an arrangement; "auto" takes it from the style notes (see :func:`match_style`).
    """
    rng = random.Random(seed)
    mood_spec = MOODS[mood]
    style = match_style(style_notes, style_name).style
    bpm = tempo or tempo_from_notes(style_notes) or mood_spec.tempo
    parsed = parse_key(key)
    if parsed is None:
        tonic_name = rng.choice(mood_spec.tonics)
        tonic, mode = (parse_key(tonic_name) or (0, ""))[0], mood_spec.mode
    else:
        tonic, mode = parsed
    progressions = list(mood_spec.progressions)
    if mode != mood_spec.mode:  # the key's mode wins: borrow the progressions of a mood in that mode
        progressions = list(next(m for m in MOODS.values() if m.mode == mode).progressions)
    verse_prog = list(rng.choice(progressions))
    chorus_prog = list(rng.choice(progressions))
    bridge_prog = verse_prog[2:] + verse_prog[:2]
    beat = 60.0 / bpm
    bar_s = 4 * beat
    total_bars = max(1, math.ceil(duration / bar_s - 1e-6))
    sections = arrange(total_bars, rng)
    scale = [(tonic + i) % 12 for i in (MAJOR_SCALE if mode == "major" else MINOR_SCALE)]

    chords_t = Track("chords", style.chords)
    bass_t = Track("bass", style.bass) if style.bass is not None else None
    lead_t = Track("lead", style.lead)
    pad_t = Track("pad", style.pad) if style.pad is not None else None
    drums_t = Track("drums", 0, is_drum=True) if style.drums else None
    phrases = {name: _melody_phrase(rng, mood_spec.density if name != "verse" else max(0, mood_spec.density - 1), 4)
               for name in ("verse", "chorus", "bridge")}
    base_vel = mood_spec.velocity

    def t(bar: int, beat_pos: float) -> float:
        swung = beat_pos
        if style.swing and (beat_pos * 2) % 2 == 1:  # an off-beat eighth
            swung = beat_pos + style.swing * 0.5
        return bar * bar_s + swung * beat

    def add(track: Track, pitch: int, start: float, end: float, velocity: int) -> None:
        if start >= duration - 0.05:
            return
        vel = max(1, min(127, velocity + rng.randint(-6, 6)))
        track.notes.append(Note(pitch, round(start, 6), round(min(end, duration), 6), vel))

    previous_voicing: list[int] | None = None
    melody_pitch = 60 + tonic + 12 if tonic < 5 else 60 + tonic
    chord_names: dict[str, list[str]] = {}
    for section in sections:
        prog = {"chorus": chorus_prog, "bridge": bridge_prog}.get(section.name, verse_prog)
        chord_names.setdefault(section.name, [chord_name(tonic, r, style.sevenths) for r in prog])
        loud = {"intro": -14, "verse": -4, "chorus": 6, "bridge": 0, "outro": -10}[section.name]
        for b in range(section.bars):
            bar = section.start_bar + b
            last_bar = bar == total_bars - 1
            roman = ("i" if mode == "minor" else "I") if last_bar and section.name == "outro" else prog[b % len(prog)]
            pcs = chord_pitches(tonic, roman, style.sevenths)
            voicing = voice(pcs, previous_voicing)
            previous_voicing = voicing
            vel = base_vel + loud
            bar_start, bar_end = t(bar, 0), (bar + 1) * bar_s
            if last_bar:
                bar_end = duration
            _comp(style.comp if not last_bar else "sustain", add, chords_t, voicing, bar, bar_start, bar_end,
                  t, vel - 8)
            if pad_t is not None and section.name in ("chorus", "bridge"):
                for p in voicing:
                    add(pad_t, p + 12 if style.name == "orchestral" else p, bar_start, bar_end, vel - 24)
            root = 36 + (pcs[0] - 36) % 12
            if bass_t is not None and section.name != "intro":
                _bass(style.bass_line, add, bass_t, root, pcs, scale, bar, bar_start, bar_end, t, vel, rng,
                      last_bar)
            if drums_t is not None and style.drums and section.name not in ("intro",) and not last_bar:
                _drums(style.drums, add, drums_t, bar, t, vel, section, b, rng)
            if section.name in ("verse", "chorus", "bridge"):
                lift = {"verse": 0, "chorus": 5, "bridge": 2}[section.name]
                low, high = 62 + lift, 81 + lift
                melody_pitch = max(low, min(high, melody_pitch))
                for beat_pos, length, step in phrases[section.name][b % 4]:
                    strong = beat_pos in (0, 2)
                    melody_pitch = _fit_pitch(pcs, scale, melody_pitch, step, strong, low, high)
                    add(lead_t, melody_pitch, t(bar, beat_pos), t(bar, beat_pos) + length * beat * 0.95,
                        vel + 4)
    tracks = [tr for tr in (chords_t, pad_t, bass_t, lead_t, drums_t) if tr is not None and tr.notes]
    return Composition(bpm, tonic, mode, style.name, mood, duration, sections, chord_names, tracks)


def _comp(kind: str, add: Any, track: Track, voicing: list[int], bar: int, start: float, end: float,
          t: Any, vel: int) -> None:
    if kind == "sustain":
        for p in voicing:
            add(track, p, start, end, vel)
    elif kind == "block":
        for half in (0, 2):
            for p in voicing:
                add(track, p, t(bar, half), t(bar, half + 2) - 0.02, vel - (8 if half else 0))
    elif kind == "arpeggio":
        pattern = [voicing[0] - 12, *voicing, voicing[1] + 12 if len(voicing) > 1 else voicing[0] + 12]
        for i in range(8):
            p = pattern[i % len(pattern)]
            add(track, p, t(bar, i * 0.5), min(end, t(bar, 4)), vel - (0 if i % 2 == 0 else 10))
    elif kind == "stabs":
        for beat_pos, length in ((0, 1.4), (1.5, 0.5), (2.5, 1.3)):
            for p in voicing:
                add(track, p, t(bar, beat_pos), t(bar, beat_pos + length), vel - (0 if beat_pos == 0 else 10))
    elif kind == "offbeat":
        for i in range(4):
            for p in voicing:
                add(track, p, t(bar, i + 0.5), t(bar, i + 0.9), vel - 6)
    elif kind == "strum":
        for beat_pos in (0, 1, 1.5, 2.5, 3):
            for j, p in enumerate(voicing):
                add(track, p, t(bar, beat_pos) + j * 0.012, t(bar, beat_pos + 0.9), vel - (0 if beat_pos == 0 else 12))
    elif kind == "power":
        root = voicing[0] - 12 if voicing[0] >= 52 else voicing[0]
        for i in range(8):
            for p in (root, root + 7, root + 12):
                add(track, p, t(bar, i * 0.5), t(bar, i * 0.5 + 0.45), vel - (0 if i % 2 == 0 else 8))


def _bass(kind: str, add: Any, track: Track, root: int, pcs: list[int], scale: list[int], bar: int, start: float,
          end: float, t: Any, vel: int, rng: random.Random, last: bool) -> None:
    if kind == "sustain" or last:
        add(track, root, start, end, vel)
    elif kind == "roots":
        add(track, root, t(bar, 0), t(bar, 1.5), vel)
        add(track, root if rng.random() < 0.6 else root + 7, t(bar, 2), t(bar, 3.5), vel - 6)
    elif kind == "eighths":
        for i in range(8):
            add(track, root, t(bar, i * 0.5), t(bar, i * 0.5 + 0.45), vel - (0 if i % 2 == 0 else 8))
    elif kind == "offbeat":
        for i in range(4):
            add(track, root, t(bar, i + 0.5), t(bar, i + 0.95), vel)
    elif kind == "walking":
        third = root + (pcs[1] - pcs[0]) % 12
        fifth = root + 7
        approach = root + rng.choice((-1, 1, 2, -2)) + 12 if rng.random() < 0.5 else fifth + 2
        for i, p in enumerate((root, third, fifth, approach)):
            add(track, p, t(bar, i), t(bar, i + 0.95), vel - (0 if i == 0 else 8))


KICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE, LOW_TOM, SIDE_STICK = \
    36, 38, 39, 42, 44, 46, 49, 51, 45, 37


def _drums(kind: str, add: Any, track: Track, bar: int, t: Any, vel: int, section: Section, b: int,
           rng: random.Random) -> None:
    def hit(note: int, beat_pos: float, v: int) -> None:
        add(track, note, t(bar, beat_pos), t(bar, beat_pos) + 0.1, v)

    chorus = section.name == "chorus"
    if b == 0 and chorus and kind not in ("swing",):
        hit(CRASH, 0, vel)
    if kind == "boombap":
        for beat_pos in (0, 2.5) if rng.random() < 0.5 else (0, 1.75, 2.5):
            hit(KICK, beat_pos, vel)
        for beat_pos in (1, 3):
            hit(SNARE, beat_pos, vel - 4)
        for i in range(8):
            hit(CLOSED_HAT, i * 0.5, vel - 24 - (8 if i % 2 else 0))
    elif kind == "swing":
        for i, beat_pos in enumerate((0, 1, 1.5, 2, 3, 3.5)):
            hit(RIDE, beat_pos, vel - 20 - (6 if i % 3 else 0))
        for beat_pos in (1, 3):
            hit(PEDAL_HAT, beat_pos, vel - 28)
        hit(KICK, 0, vel - 30)
    elif kind == "four":
        for i in range(4):
            hit(KICK, i, vel + 4)
            hit(OPEN_HAT if chorus else CLOSED_HAT, i + 0.5, vel - 20)
        for beat_pos in (1, 3):
            hit(CLAP, beat_pos, vel - 6)
    elif kind in ("rock", "pop"):
        for beat_pos in (0, 2) if kind == "pop" else (0, 1.5, 2):
            hit(KICK, beat_pos, vel)
        for beat_pos in (1, 3):
            hit(SNARE, beat_pos, vel)
        for i in range(8):
            hit(OPEN_HAT if (chorus and kind == "rock" and i % 2 == 0) else CLOSED_HAT, i * 0.5,
                vel - 18 - (10 if i % 2 else 0))
    elif kind == "cinematic":
        hit(LOW_TOM, 0, vel)
        hit(LOW_TOM, 2.5 if chorus else 2, vel - 10)
        if chorus:
            hit(KICK, 0, vel)
            hit(SNARE, 3.5, vel - 20)
    elif kind == "folk":
        hit(KICK, 0, vel - 10)
        hit(KICK, 2, vel - 16)
        for beat_pos in (1, 3):
            hit(SIDE_STICK, beat_pos, vel - 16)


def midi_bytes(comp: Composition) -> bytes:
    """The composition as a Standard MIDI File (type 1) with tempo, time and key signatures."""
    pretty_midi = require_package("pretty_midi", PRETTY_MIDI_PACKAGE, "pretty_midi", code="MUSIC_RUNTIME_MISSING")
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(comp.tempo), resolution=480)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    key_number = comp.tonic + (12 if comp.mode == "minor" else 0)
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    for track in comp.tracks:
        inst = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=track.name)
        for n in sorted(track.notes, key=lambda n: (n.start, n.pitch, n.end)):
            if n.end > n.start:
                inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.start, end=n.end))
        pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def midi_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def soundfont() -> Path:
    for path in SOUNDFONTS:
        if path.is_file():
            return path
    raise ToolMissing("no General MIDI soundfont; install it with: sudo apt-get install -y fluid-soundfont-gm",
                      code="SOUNDFONT_MISSING", details={"install": "apt-get install -y fluid-soundfont-gm"})
