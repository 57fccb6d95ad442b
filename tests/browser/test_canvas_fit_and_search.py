"""What a newcomer hit on the canvas: the header must fit at common widths, and quick-add must rank the node
whose title matches first."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import LiveStudio, Shots
from .test_canvas import expect, sign_in

pytestmark = pytest.mark.browser

Page = Any


def open_blank_session(page: Page, name: str) -> None:
    page.get_by_role("button", name="New session").click()
    page.get_by_label("Session name").fill(name)
    page.get_by_label("Blank workflow").check()
    page.get_by_role("button", name="Create session").click()
    expect(page).to_have_url(re.compile(r"/studio/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Start your workflow")).to_be_visible()


def inside_viewport(page: Page, locator: Any) -> bool:
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_the_canvas_header_fits_common_widths(page: Page, live_studio: LiveStudio, shots: Shots, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_studio)
    open_blank_session(page, f"Header at {width}: a long campaign name for the autumn catalogue shoot 2026")
    run = page.get_by_role("button", name="Run workflow")
    # the busiest bar: a finished run's state, the GPU runtime started, a long session name
    page.get_by_role("button", name="Add Solid Color", exact=True).click()
    run.click()
    expect(page.get_by_role("status", name="Last run: succeeded")).to_be_visible(timeout=30_000)
    gpu = page.get_by_role("button", name=re.compile("^(Start|Stop) GPU runtime$"))
    expect(gpu).to_be_visible()
    if gpu.get_attribute("aria-label") == "Start GPU runtime":  # the studio is shared by the widths' runs
        gpu.click()
    expect(page.get_by_role("button", name=re.compile("Stop GPU runtime"))).to_be_visible(timeout=30_000)
    avatar = page.get_by_role("button", name=f"Profile of {live_studio.email}")
    expect(run).to_be_visible()
    expect(avatar).to_be_visible()
    assert inside_viewport(page, run), run.bounding_box()
    assert inside_viewport(page, avatar), avatar.bounding_box()
    header = page.locator(".studio-bar")
    assert header.evaluate("el => el.scrollWidth <= el.clientWidth"), "the header scrolls sideways"
    if width == 1440:
        shots("canvas-header-1440")


def test_quick_add_ranks_title_matches_first(page: Page, live_studio: LiveStudio) -> None:
    sign_in(page, live_studio)
    open_blank_session(page, "Quick add ranking")
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    for query, first in (("background", "Background Removal"), ("pose", "Pose Extractor"),
                         ("music", "Music Generator")):
        page.mouse.dblclick(pane["x"] + 300, pane["y"] + 200)
        page.get_by_label("Search nodes to add").fill(query)
        options = page.get_by_role("listbox", name="Matching nodes").get_by_role("button")
        expect(options.first).to_have_accessible_name(f"Add {first}")
        page.keyboard.press("Escape")


def add_by_search(page: Page, query: str, at: tuple[int, int]) -> None:
    pane = page.locator(".react-flow__pane").bounding_box()
    assert pane
    page.mouse.dblclick(pane["x"] + at[0], pane["y"] + at[1])
    page.get_by_label("Search nodes to add").fill(query)
    page.keyboard.press("Enter")


def test_list_parameters_voice_picker_and_midi_chip(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    """Lists of choices are chips, lists of objects are rows, the voice is picked from the studio's voices,
    and a MIDI output is a download chip instead of a wall of base64."""
    from .test_canvas import node

    sign_in(page, live_studio)
    open_blank_session(page, "Inspector editors")

    add_by_search(page, "video effects", (200, 120))
    node(page, "video.effects").locator(".snode-head").click()
    presets = page.get_by_role("group", name="Presets")
    presets.get_by_role("button", name="rain", exact=True).click()
    presets.get_by_role("button", name="film grain").click()
    expect(presets.get_by_role("button", name="rain", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(node(page, "video.effects")).to_contain_text("rain")
    expect(page.get_by_label("Presets (JSON)")).to_have_count(0)

    add_by_search(page, "image generation", (520, 120))
    node(page, "image.generate").locator(".snode-head").click()
    loras = page.get_by_role("group", name="Loras")
    loras.get_by_role("button", name=re.compile("Add lora")).click()
    loras.get_by_role("group", name="Loras 1").get_by_role("textbox", name="Name").fill("camera-angles")
    expect(page.get_by_label("Loras (JSON)")).to_have_count(0)
    shots("lora-rows")

    add_by_search(page, "text to speech", (10, 150))  # left of the other nodes (their previews make them tall)
    node(page, "audio.tts").locator(".snode-head").click()
    voice = page.get_by_role("combobox", name="Voice")
    voice.fill("fr")
    choices = page.get_by_role("listbox", name="Voice choices")
    expect(choices).to_contain_text("No piper voice matches")  # the list follows the chosen engine
    page.get_by_role("combobox", name="Engine").select_option("espeak-ng")
    voice.fill("fr")
    first = choices.get_by_role("button", name=re.compile(r"^Voice ")).first
    expect(first).to_have_accessible_name(re.compile(r"^Voice French.*, fr-.*, espeak-ng$"))  # fr-* before Afrikaans
    shots("voice-picker")
    first.click()
    expect(page.get_by_text(re.compile(r"Chosen: French .* · fr-.* · espeak-ng"))).to_be_visible()

    add_by_search(page, "music generator", (10, 520))
    music = node(page, "audio.music")
    music.locator(".snode-head").click()
    page.get_by_role("slider", name="Duration").fill("3")
    page.get_by_role("button", name="Rerun this node").click()
    expect(music.get_by_label(re.compile(r"^Output midi.*: MIDI file$"))).to_be_visible(timeout=60_000)
    expect(music).not_to_contain_text("TVRoZA")
    music.get_by_role("button", name="Enlarge the output of Music Generator").click()
    chip = page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^Download midi .*MIDI file"))
    expect(chip).to_be_visible()
    with page.expect_download() as info:
        chip.click()
    assert info.value.suggested_filename.endswith(".mid")
    shots("midi-chip")
