"""camera_prompt: the exact words a camera-angle LoRA was trained on, for any camera move."""

from __future__ import annotations

import pytest

from miniaistudio.core.camera import camera_prompt


@pytest.mark.parametrize(
    ("azimuth", "elevation", "distance", "prompt"),
    [
        (0, 0, 1.0, "<sks> front view eye-level shot medium shot"),
        (45, 30, 1.0, "<sks> front-right quarter view elevated shot medium shot"),
        (90, 60, 0.5, "<sks> right side view high-angle shot close-up"),
        (135, 0, 2.0, "<sks> back-right quarter view eye-level shot wide shot"),
        (180, -30, 1.0, "<sks> back view low-angle shot medium shot"),
        (-180, 0, 1.0, "<sks> back view eye-level shot medium shot"),
        (-135, 0, 1.0, "<sks> back-left quarter view eye-level shot medium shot"),
        (-90, 0, 1.0, "<sks> left side view eye-level shot medium shot"),
        (-45, 0, 1.0, "<sks> front-left quarter view eye-level shot medium shot"),
        # snapping to the nearest trained pose
        (20, 10, 0.9, "<sks> front view eye-level shot medium shot"),
        (23, 16, 1.3, "<sks> front-right quarter view elevated shot medium shot"),
        (-67, 46, 0.7, "<sks> front-left quarter view high-angle shot close-up"),
        (170, -60, 1.5, "<sks> back view low-angle shot wide shot"),
        # exact ties: azimuth toward the lower angle, elevation toward eye level
        (22.5, 15, 1.0, "<sks> front view eye-level shot medium shot"),
        (-22.5, -15, 1.0, "<sks> front-left quarter view eye-level shot medium shot"),
    ],
)
def test_camera_prompt_table(azimuth: float, elevation: float, distance: float, prompt: str) -> None:
    assert camera_prompt(azimuth, elevation, distance) == prompt


def test_distance_thresholds_are_symmetric_in_log_space() -> None:
    assert camera_prompt(0, 0, 0.70).endswith("close-up")
    assert camera_prompt(0, 0, 0.71).endswith("medium shot")
    assert camera_prompt(0, 0, 1.41).endswith("medium shot")
    assert camera_prompt(0, 0, 1.42).endswith("wide shot")


def test_same_move_same_prompt_and_bad_input_is_refused() -> None:
    assert camera_prompt(30.0, 5.0, 1.0) == camera_prompt(30.0, 5.0, 1.0)
    for bad in ((float("nan"), 0, 1.0), (0, float("inf"), 1.0), (0, 0, 0.0), (0, 0, -1.0)):
        with pytest.raises(ValueError):
            camera_prompt(*bad)
