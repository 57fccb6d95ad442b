"""Issue 18, what ComfyUI users reach for: a run queue with history, two tabs that merge instead of
duplicating, and workflows as JSON files (export, import, paste)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import ROOT, LiveStudio, Shots
from .test_canvas import expect, node, sign_in

pytestmark = pytest.mark.browser

Page = Any
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _node(nid: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": nid, "type": node_type, "position": {"x": x, "y": 80}, "params": params}


def _edge(src: str, dst: str) -> dict[str, Any]:
    return {"id": f"{src}-{dst}", "source": src, "source_handle": "image", "target": dst, "target_handle": "image"}


def slow_graph() -> dict[str, Any]:
    """A chain big enough that runs asked for meanwhile have to wait."""
    nodes = [_node("c", "image.solid_color", 0, width=3072, height=3072, color="#224466")]
    edges = []
    for i in range(8):
        nodes.append(_node(f"a{i}", "image.adjust", 260 * (i + 1), contrast=1.0 + i / 10))
        edges.append(_edge("c" if i == 0 else f"a{i - 1}", f"a{i}"))
    return {"nodes": nodes, "edges": edges}


def small_graph() -> dict[str, Any]:
    return {"nodes": [_node("c", "image.solid_color", 0, width=32, height=32, color="#336699"),
                      _node("r", "image.resize", 560, width=16, height=16)],
            "edges": [_edge("c", "r")]}


class Script:
    """The API as a script would use it (token, no cookie)."""

    def __init__(self, studio: LiveStudio) -> None:
        self.client = httpx.Client(base_url=studio.url, timeout=30)
        token = self.client.post("/api/v2/auth/login",
                                 json={"email": studio.email, "password": studio.password}).json()["token"]
        self.client.cookies.clear()
        self.client.headers["Authorization"] = f"Bearer {token}"

    def new_session(self, name: str, graph: dict[str, Any]) -> str:
        r = self.client.post("/api/v2/sessions", json={"name": name, "graph": graph})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def session(self, sid: str) -> dict[str, Any]:
        doc: dict[str, Any] = self.client.get(f"/api/v2/sessions/{sid}").json()
        return doc


def _docs_shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


@pytest.mark.parametrize("width", [1280, 1440, 1920])
def test_runs_queue_and_history(page: Page, live_studio: LiveStudio, shots: Shots, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    script = Script(live_studio)
    sid = script.new_session(f"Queue at {width}", slow_graph())
    sign_in(page, live_studio)
    page.goto(f"/studio/{sid}")
    page.add_style_tag(content=".toasts { display: none !important; }")
    run = page.get_by_role("button", name="Run workflow")
    expect(run).to_be_visible()
    run.click()
    queue = page.get_by_role("button", name="Queue another run")
    queue.click()
    queue.click()
    chip = page.get_by_role("button", name="Runs waiting: 2")
    expect(chip).to_have_text("queued (2)")
    header = page.locator(".studio-bar")
    assert header.evaluate("el => el.scrollWidth <= el.clientWidth"), "the header scrolls sideways"
    if width == 1440:
        _docs_shot(page, "canvas-run-queue.png")
    shots("queued")

    # The queue is cancellable, one run at a time.
    chip.click()
    dialog = page.get_by_role("dialog", name="Runs")
    queued = dialog.get_by_role("list", name="Queued runs").get_by_role("listitem")
    expect(queued.last).to_be_visible()
    queued.last.get_by_role("button", name=re.compile("^Cancel queued run")).click()
    expect(queued).not_to_have_count(2)
    # The remaining run starts by itself when the first one ends; the queue empties.
    expect(dialog.get_by_text("Nothing waits")).to_be_visible(timeout=60_000)
    table = dialog.get_by_role("table", name="Past runs")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2, timeout=60_000)
    expect(rows.first).to_contain_text(live_studio.email)
    expect(rows.first).to_contain_text("Whole workflow")
    expect(table.locator("tbody tr .run-succeeded")).to_have_count(2, timeout=60_000)
    expect(rows.nth(1)).to_contain_text("9 ran")  # the first run did the work, the queued one was cached
    expect(rows.first).to_contain_text("9 cached")
    # Every column, the Open button included, fits the dialog at this width.
    panel = dialog.bounding_box()
    button = rows.first.get_by_role("button", name=re.compile("^Show outputs")).bounding_box()
    assert panel and button and button["x"] + button["width"] <= panel["x"] + panel["width"], (panel, button)
    if width == 1440:
        _docs_shot(page, "canvas-run-history.png")
    shots("history")

    # Reopen the first run's outputs on the canvas, then go back to the latest.
    rows.nth(1).get_by_role("button", name=re.compile("^Show outputs")).click()
    expect(dialog).to_have_count(0)
    banner = page.get_by_role("status", name="Showing a past run")
    expect(banner).to_be_visible()
    expect(node(page, "image.adjust").first.locator("img")).to_be_visible()
    page.get_by_role("button", name="Back to the latest outputs").click()
    expect(banner).to_have_count(0)
    expect(page.get_by_role("button", name="Runs waiting: 2")).to_have_count(0)


def test_two_tabs_merge_instead_of_duplicating(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    script = Script(live_studio)
    sid = script.new_session("Two tabs", small_graph())
    sign_in(page, live_studio)
    other = page.context.new_page()
    page.goto(f"/studio/{sid}")
    other.goto(f"/studio/{sid}")
    for tab in (page, other):
        expect(node(tab, "image.resize")).to_be_visible()
        expect(tab.get_by_label("Live updates: live")).to_be_visible()
        expect(tab.get_by_label("Save state: Saved")).to_be_visible()

    # The other tab changes the resize width; this tab, with nothing unsaved, takes that version and says so.
    node(other, "image.resize").click()
    other.get_by_label("Width value").fill("24")
    other.get_by_label("Width value").press("Enter")
    expect(other.get_by_label("Save state: Saved")).to_be_visible()
    expect(page.get_by_text("Another tab saved a newer version: this tab now shows it.").first).to_be_visible()
    node(page, "image.resize").click()
    expect(page.get_by_label("Width value")).to_have_value("24")

    # This tab edits the colour while its save is held back, and the other tab saves again meanwhile:
    # the event stream tells this tab it is behind, and it says so instead of "Saved".
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(re.compile(r"/api/v2/sessions/[0-9a-f-]+/flow$"), hold)
    node(page, "image.solid_color").click()
    page.get_by_label("Color", exact=True).fill("#ff0000")
    expect(page.get_by_label("Save state: Saving…")).to_be_visible()
    node(other, "image.resize").click()
    other.get_by_label("Height value").fill("12")
    other.get_by_label("Height value").press("Enter")
    expect(other.get_by_label("Save state: Saved")).to_be_visible()
    expect(page.get_by_label("Save state: Behind: changed elsewhere")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="A newer version was saved in another tab")).to_be_visible()
    shots("behind")

    # The held save reaches the server and is refused (409): this tab takes the newest version and
    # re-applies only its own edit; the other tab's width and height stay, nothing is pasted twice.
    assert len(held) == 1
    held[0].continue_()
    page.unroute(re.compile(r"/api/v2/sessions/[0-9a-f-]+/flow$"), hold)
    applied = page.get_by_role("list", name="Re-applied edits")
    expect(applied).to_contain_text("Re-applied: Solid Color: color")
    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    page.add_style_tag(content=".toasts { display: none !important; }")
    _docs_shot(page, "canvas-two-tabs-merge.png")
    shots("merged")

    doc = script.session(sid)
    params = {n["id"]: n["params"] for n in doc["graph"]["nodes"]}
    assert len(doc["graph"]["nodes"]) == 2, doc["graph"]["nodes"]
    assert params["c"]["color"] == "#ff0000", params
    assert params["r"]["width"] == 24 and params["r"]["height"] == 12, params
    expect(node(page, "image.resize")).to_have_count(1)
    # The other tab, with nothing unsaved, follows.
    expect(other.get_by_text("Another tab saved a newer version: this tab now shows it.").first).to_be_visible()
    other.close()


PASTE = """([text]) => {
  const data = new DataTransfer();
  data.setData('text/plain', text);
  document.body.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_export_import_and_paste_workflow_json(page: Page, live_studio: LiveStudio, shots: Shots,
                                               tmp_path: Path) -> None:
    script = Script(live_studio)
    source = script.new_session("Portrait: pipeline", small_graph())
    target = script.new_session("Imported here", {"nodes": [], "edges": []})
    sign_in(page, live_studio)
    page.goto(f"/studio/{source}")
    expect(node(page, "image.resize")).to_be_visible()
    pane = page.locator(".react-flow__pane")
    pane.click(button="right", position={"x": 40, "y": 400})
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Export workflow (JSON)").click()
    assert download.value.suggested_filename == "Portrait pipeline.workflow.json"
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert data["format"] == "miniaistudio.workflow" and data["name"] == "Portrait: pipeline"
    assert {n["type"] for n in data["graph"]["nodes"]} == {"image.solid_color", "image.resize"}

    page.goto(f"/studio/{target}")
    expect(page.get_by_text("Start your workflow")).to_be_visible()
    pane.click(button="right", position={"x": 40, "y": 400})
    with page.expect_file_chooser() as chooser:
        page.get_by_role("menuitem", name="Import workflow (JSON)…").click()
    chooser.value.set_files(str(exported))
    expect(node(page, "image.resize")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(page.get_by_label("Save state: Saved")).to_be_visible()

    # Pasting workflow JSON adds it; a workflow with a node type this studio lacks is refused with the reason.
    page.evaluate(PASTE, [json.dumps(small_graph())])
    expect(node(page, "image.resize")).to_have_count(2)
    bad = {"nodes": [_node("x", "comfy.KSampler", 0)], "edges": []}
    page.evaluate(PASTE, [json.dumps(bad)])
    expect(page.get_by_text(re.compile("not imported: This studio has no node type “comfy.KSampler”"))).to_be_visible()
    page.evaluate(PASTE, ['{"nodes": [' + ",".join(['{"id": "n"}'] * 3) + "]}"])
    expect(page.get_by_text(re.compile("not imported: Node 1 has no id or type"))).to_be_visible()
    expect(node(page, "image.resize")).to_have_count(2)
    shots("pasted")
    expect(page.get_by_label("Save state: Saved")).to_be_visible()
    doc = script.session(target)
    assert len(doc["graph"]["nodes"]) == 4 and len(doc["graph"]["edges"]) == 2
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_voice_picker_plays_a_sample(page: Page, live_studio: LiveStudio, shots: Shots) -> None:
    script = Script(live_studio)
    tts = _node("s", "audio.tts", 0, text="Bonjour", engine="espeak-ng", voice="espeak-ng:fr-fr")
    sid = script.new_session("Voice sample", {"nodes": [tts], "edges": []})
    sign_in(page, live_studio)
    page.goto(f"/studio/{sid}")
    node(page, "audio.tts").locator(".snode-head").click()
    play = page.get_by_role("button", name=re.compile(r"^Play a sample of French"))
    with page.expect_response(re.compile(r"/api/v2/voices/sample\?voice=espeak-ng%3Afr-fr")) as answer:
        play.click()
    assert answer.value.status in (200, 206) and answer.value.headers["content-type"] == "audio/wav"  # 206: ranges
    expect(page.get_by_role("button", name=re.compile(r"^Stop the sample of French"))).to_be_visible()
    shots("voice-sample")
    # Each voice in the list has its own ▶.
    page.get_by_role("combobox", name="Voice").fill("de")
    choices = page.get_by_role("listbox", name="Voice choices")
    expect(choices.get_by_role("button", name=re.compile(r"^Play a sample of German")).first).to_be_visible()


def _tone(path: Path, seconds: float = 0.5, rate: int = 8000) -> Path:
    import math
    import struct
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return path


def test_recipe_form_uploads_from_disk_and_the_picker_names_and_plays(page: Page, live_studio: LiveStudio,
                                                                      shots: Shots, tmp_path: Path) -> None:
    tone = _tone(tmp_path / "doorbell tone.wav")
    sign_in(page, live_studio)
    page.get_by_role("button", name="New session").click()
    dialog = page.get_by_role("dialog", name="New session")
    dialog.get_by_label("Search recipes").fill("mux")
    dialog.get_by_label("Mux", exact=True).check()
    form = dialog.get_by_label("Inputs of Mux")
    with page.expect_file_chooser() as chooser:
        form.get_by_role("button", name="Upload Audio from disk").click()
    chooser.value.set_files(str(tone))
    expect(form.get_by_text("Chosen: doorbell tone.wav")).to_be_visible()
    expect(form.get_by_label("Audio url", exact=True)).to_have_value(re.compile(r"^[0-9a-f-]{36}$"))
    shots("uploaded")

    # The picker names every item, and audio plays there before it is chosen.
    form.get_by_role("button", name="Pick Audio from gallery").click()
    picker = page.get_by_role("dialog", name="Pick audio from your gallery")
    expect(picker.get_by_text("doorbell tone.wav").first).to_be_visible()
    picker.get_by_role("button", name="Play doorbell tone.wav").first.click()
    expect(picker.get_by_role("button", name="Stop doorbell tone.wav").first).to_be_visible()
    _docs_shot(page, "recipe-picker-audio.png")
    shots("picker-plays")
    picker.get_by_role("button", name="Choose doorbell tone.wav").first.click()
    picker.get_by_role("button", name="Use selected media").click()
    expect(form.get_by_text("Chosen: doorbell tone.wav")).to_be_visible()

    # A file of the wrong kind is refused with the reason.
    wrong = tmp_path / "notes.txt"
    wrong.write_text("not audio")
    with page.expect_file_chooser() as chooser:
        form.get_by_role("button", name="Upload Audio from disk").click()
    chooser.value.set_files(str(wrong))
    expect(page.locator(".toasts")).to_contain_text(re.compile(r"\([A-Z_]+\)"))
