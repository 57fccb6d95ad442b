"""Text Refiner: prompts, lyrics, translations, summaries and keywords from a local LLM.

The default model, Gemma 3 270M, is a *base* model: it continues text rather than
following chat instructions. Each preset is therefore a few-shot completion prompt — an
instruction line, an optional "Avoid:" line, worked examples, then the input — cut by
stop sequences, so the model's continuation is the answer. The instruction (system
prompt) and the negative prompt are parameters; empty means the preset's default, and
the defaults are published in the parameter schema (``preset_defaults``) for the Inspector.

The negative prompt lists words or phrases the output must not contain: the model sees
them on the "Avoid:" line, and any that still appear are removed from the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue

from ..core.context import NodeContext
from ..core.node import Node, NodeOutput, Socket, TextInput, node
from ..core.sockets import SocketType
from ..runtimes.models.assets import DEFAULT_LLM_FILE

PresetName = Literal["image", "video", "music", "lyrics", "translation", "summarization", "rewriting",
                     "keywords", "custom"]


@dataclass(frozen=True)
class Preset:
    system_prompt: str
    negative_prompt: str
    input_label: str
    output_label: str
    examples: tuple[tuple[str, str], ...]
    multiline: bool = False


PRESETS: dict[str, Preset] = {
    "image": Preset(
        system_prompt=("Expand each short idea into one detailed prompt for an image generator. Keep the same "
                       "subject and add setting, lighting, style, composition and quality details."),
        negative_prompt="blurry, low quality, watermark, signature, deformed",
        input_label="Idea", output_label="Prompt",
        examples=(
            ("a cat on a sofa",
             "a fluffy ginger cat curled up on a green velvet sofa in a cozy living room, soft morning light "
             "through the window, warm tones, shallow depth of field, detailed fur, 35mm photograph"),
            ("mountain lake at dawn",
             "a calm mountain lake at dawn, mist drifting over the water, snow-capped peaks reflected in the "
             "surface, pink and orange sky, pine trees on the shore, wide-angle landscape photograph"),
            ("robot chef",
             "a friendly retro robot chef cooking pasta in a busy restaurant kitchen, steam rising from the "
             "pots, warm tungsten lighting, stainless steel counters, cinematic composition, detailed "
             "digital illustration"),
        ),
    ),
    "video": Preset(
        system_prompt=("Expand each short idea into one detailed prompt for a video generator. Keep the same "
                       "subject and describe the action, camera movement, setting, lighting and mood."),
        negative_prompt="jittery, flicker, low quality, watermark",
        input_label="Idea", output_label="Video prompt",
        examples=(
            ("a dog running on the beach",
             "a golden retriever running along a sunny beach at golden hour, waves rolling in behind it, sand "
             "kicking up from its paws, slow tracking shot at dog height, warm light, cinematic slow motion"),
            ("city at night",
             "a busy city street at night after rain, neon signs reflecting on the wet asphalt, cars and "
             "people passing, slow dolly forward through the crowd, moody blue and magenta light"),
            ("flower blooming",
             "a red tulip slowly blooming in a sunlit garden, petals unfolding, macro close-up, a gentle "
             "breeze moving the leaves, soft natural light, time-lapse, shallow depth of field"),
        ),
    ),
    "music": Preset(
        system_prompt=("Turn each idea into a short description of a piece of music: genre, mood, tempo, "
                       "instruments and structure."),
        negative_prompt="noise, distortion",
        input_label="Idea", output_label="Music",
        examples=(
            ("song for a rainy afternoon",
             "mellow lo-fi hip hop, relaxed and nostalgic, 80 bpm, soft Rhodes piano chords, vinyl crackle, "
             "muted drums, warm bass, gentle rain ambience, calm bridge"),
            ("epic battle",
             "epic orchestral battle theme, intense and heroic, 140 bpm, thundering taiko drums, brass "
             "fanfares, fast string ostinatos, choir swells, builds to a powerful climax"),
            ("summer party",
             "upbeat tropical house, happy and energetic, 120 bpm, marimba hooks, plucky synths, "
             "four-on-the-floor kick, bright claps, catchy drop after a short build-up"),
        ),
    ),
    "lyrics": Preset(
        system_prompt="Write short song lyrics about each topic: a verse and a chorus with simple rhymes.",
        negative_prompt="",
        input_label="Topic", output_label="Lyrics", multiline=True,
        examples=(
            ("the sea",
             "[Verse]\nBlue waves rolling to the shore\nI hear them calling me once more\n"
             "[Chorus]\nOh the sea, the endless sea\nCarry my heart and set it free"),
            ("city lights",
             "[Verse]\nWalking down the empty street\nNeon humming to my heartbeat\n"
             "[Chorus]\nCity lights, shine on me\nYou are the only home I see"),
        ),
    ),
    "translation": Preset(
        system_prompt="Translate each text into {language}.",
        negative_prompt="",
        input_label="English", output_label="{language}",
        examples=(),  # per target language, see TRANSLATION_EXAMPLES
    ),
    "summarization": Preset(
        system_prompt="Summarize each text in one short sentence.",
        negative_prompt="",
        input_label="Text", output_label="Summary",
        examples=(
            ("The city council met on Tuesday to discuss the new park. After a long debate, members voted to "
             "approve the plan, which includes a playground, a pond and walking trails. Construction will "
             "begin next spring and should take about a year.",
             "The council approved a new park with a playground, a pond and trails."),
            ("Our team tested three laptops for battery life, speed and comfort. The lightest model lasted "
             "eleven hours but was the slowest, while the heaviest was the fastest but lasted only five "
             "hours. The mid-sized laptop offered the best balance overall.",
             "The mid-sized laptop balanced battery life and speed best."),
        ),
    ),
    "rewriting": Preset(
        system_prompt="Rewrite each text so it is clear, correct and polished, keeping its meaning.",
        negative_prompt="",
        input_label="Original", output_label="Rewritten",
        examples=(
            ("me and him goes to the store yesterday and buyed lots of stuffs",
             "He and I went to the store yesterday and bought a lot of things."),
            ("the meeting is moved to friday cause the boss is sick, pls tell everyone",
             "The meeting has been moved to Friday because the manager is ill; please let everyone know."),
        ),
    ),
    "keywords": Preset(
        system_prompt="List the main keywords of each text, separated by commas.",
        negative_prompt="",
        input_label="Text", output_label="Keywords",
        examples=(
            ("A golden retriever runs along a sunny beach at sunset while waves roll in.",
             "golden retriever, beach, sunset, waves, running"),
            ("The new electric car charges in twenty minutes and drives 500 kilometers on one charge.",
             "electric car, fast charging, range, battery"),
            ("Fresh basil, tomatoes and mozzarella make a simple Italian salad.",
             "basil, tomatoes, mozzarella, Italian salad, recipe"),
        ),
    ),
    "custom": Preset(
        system_prompt="Rewrite the input as a short, vivid sentence.",
        negative_prompt="",
        input_label="Input", output_label="Output",
        examples=(),
    ),
}

# The same three sentences in several languages: few-shot examples for translation.
_SENTENCES = {
    "English": ("Good morning, how are you?", "The weather is beautiful today.",
                "I would like a cup of coffee, please."),
    "French": ("Bonjour, comment allez-vous ?", "Il fait très beau aujourd'hui.",
               "Je voudrais une tasse de café, s'il vous plaît."),
    "Spanish": ("Buenos días, ¿cómo estás?", "Hoy hace un tiempo precioso.",
                "Quisiera una taza de café, por favor."),
    "German": ("Guten Morgen, wie geht es Ihnen?", "Das Wetter ist heute wunderschön.",
               "Ich hätte gern eine Tasse Kaffee, bitte."),
    "Italian": ("Buongiorno, come stai?", "Oggi il tempo è bellissimo.",
                "Vorrei una tazza di caffè, per favore."),
    "Portuguese": ("Bom dia, como você está?", "O tempo está lindo hoje.",
                   "Eu gostaria de uma xícara de café, por favor."),
    "Dutch": ("Goedemorgen, hoe gaat het?", "Het weer is vandaag prachtig.",
              "Ik wil graag een kopje koffie, alstublieft."),
}


def translation_examples(language: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(source label, examples) for translating into ``language``; none for languages without examples."""
    target = _SENTENCES.get(language.strip().title())
    if language.strip().title() == "English":
        return "French", tuple(zip(_SENTENCES["French"], _SENTENCES["English"], strict=True))
    if target is None:
        return "English", ()
    return "English", tuple(zip(_SENTENCES["English"], target, strict=True))


def preset_defaults(field: Literal["system_prompt", "negative_prompt"]) -> dict[str, JsonValue]:
    return {name: getattr(p, field) for name, p in PRESETS.items()}


@dataclass(frozen=True)
class BuiltPrompt:
    prompt: str
    stop: tuple[str, ...]
    multiline: bool


def build_prompt(preset_name: str, text: str, *, system_prompt: str = "", negative_prompt: str = "",
                 target_language: str = "French") -> BuiltPrompt:
    """The few-shot completion prompt and stop sequences of a preset."""
    preset = PRESETS[preset_name]
    language = target_language.strip() or "French"
    system = (system_prompt.strip() or preset.system_prompt).replace("{language}", language)
    negative = negative_prompt.strip() if negative_prompt.strip() else preset.negative_prompt
    in_label, out_label, examples = preset.input_label, preset.output_label.replace("{language}", language), \
        preset.examples
    if preset_name == "translation":
        in_label, examples = translation_examples(language)
    if not preset.multiline:
        text = " ".join(text.split())
    lines = [system]
    if negative:
        lines.append(f"Avoid: {negative}")
    lines.append("")

    def pair(src: str, dst: str | None) -> str:
        sep = "\n" if preset.multiline else " "
        head = f"{in_label}: {src}\n{out_label}:"
        return head if dst is None else f"{head}{sep}{dst}\n"

    for src, dst in examples:
        lines.append(pair(src, dst))
    lines.append(pair(text.strip(), None) + ("\n" if preset.multiline else ""))
    stop = ("\n\n", f"\n{in_label}:") if preset.multiline else ("\n",)
    return BuiltPrompt("\n".join(lines), stop, preset.multiline)


def _negative_terms(negative: str) -> list[str]:
    return [t.strip() for t in negative.split(",") if len(t.strip()) >= 2]


def clean_output(preset_name: str, raw: str, *, negative_prompt: str) -> str:
    """Trim the completion, drop negative terms, and normalise the keywords list."""
    text = raw.strip()
    if not PRESETS[preset_name].multiline:
        text = text.splitlines()[0].strip() if text else ""
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1].strip()
    for term in _negative_terms(negative_prompt):
        text = re.sub(rf"(?i)\b{re.escape(term)}\b", "", text)
    if preset_name == "keywords":
        seen: dict[str, str] = {}
        for item in re.split(r"[,;\n]", text):
            word = item.strip(" .-*\t\"'")
            if word and word.lower() not in seen:
                seen[word.lower()] = word
        return ", ".join(seen.values())
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(\s*,)+", ",", text)
    return "\n".join(line.strip(" ,") for line in text.splitlines()).strip()


class RefinerOutput(NodeOutput):
    text: Annotated[str, Socket(SocketType.TEXT, description="The refined text")]
    negative_prompt: Annotated[str, Socket(SocketType.TEXT, description="The negative prompt in effect",
                                           label="Negative prompt")]


@node("text.refine", title="Text Refiner", category="Text", tags=("llm", "prompt", "translate"))
class TextRefiner(Node):
    """Refine, translate, summarize or list keywords with a local language model (llama.cpp)."""

    text: TextInput
    preset: PresetName = Field(default="image", description="What to do with the text")
    target_language: str = Field(default="French", min_length=2, max_length=40,
                                 description="Language of the result (translation preset)")
    system_prompt: str = Field(
        default="", max_length=4000,
        description="The instruction line; empty uses the preset's default (see preset_defaults)",
        json_schema_extra={"widget": "textarea", "preset_field": "preset",
                           "preset_defaults": preset_defaults("system_prompt")},
    )
    negative_prompt: str = Field(
        default="", max_length=2000,
        description="Comma-separated words the output must avoid; empty uses the preset's default",
        json_schema_extra={"widget": "textarea", "preset_field": "preset",
                           "preset_defaults": preset_defaults("negative_prompt")},
    )
    model: str = Field(
        default=DEFAULT_LLM_FILE, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.gguf$",
        description="A local language model (a GGUF file installed in the models folder's llm folder)",
        json_schema_extra={"widget": "llm_model", "options_url": "/api/v2/llm/models"},
    )
    max_tokens: int = Field(default=160, ge=1, le=2048)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0, description="0 = always the likeliest token")
    seed: int | None = Field(default=42, ge=0, le=2**31 - 1, json_schema_extra={"widget": "seed"},
                             description="Fixes sampling; empty samples anew on every run")

    @classmethod
    def cacheable(cls, params: dict[str, Any]) -> bool:
        return params.get("seed") is not None or float(params.get("temperature", 0.7)) == 0.0

    def invoke(self, ctx: NodeContext) -> RefinerOutput:
        import random

        from ..core.errors import NodeFailed
        from ..runtimes.models import llm
        from ..runtimes.models.model_host import host_of

        source = (self.text or "").strip()
        if not source:
            raise NodeFailed("the text input is empty", code="INPUT_INVALID")
        negative = self.negative_prompt.strip() or PRESETS[self.preset].negative_prompt
        built = build_prompt(self.preset, source, system_prompt=self.system_prompt,
                             negative_prompt=self.negative_prompt, target_language=self.target_language)
        seed = self.seed if self.seed is not None else random.SystemRandom().randrange(2**31)
        ctx.progress(0.0, f"loading {self.model}")

        def on_text(partial: str, n: int) -> None:
            ctx.check_canceled()
            ctx.progress(min(0.99, n / self.max_tokens), partial)

        gen = llm.generate(self.model, built.prompt, max_tokens=self.max_tokens, temperature=self.temperature,
                           seed=seed, stop=built.stop, on_text=on_text, cache=host_of(ctx).cache)
        out = clean_output(self.preset, gen.text, negative_prompt=negative)
        if not out:
            raise NodeFailed("the model returned no text; try another seed, a higher temperature or more tokens",
                             code="LLM_EMPTY_OUTPUT", details={"raw": gen.text[:500]})
        ctx.progress(1.0, f"{self.model}: {gen.tokens} tokens, {gen.tokens_per_second:.0f} tokens/s, seed {seed}")
        return RefinerOutput(text=out, negative_prompt=negative)
