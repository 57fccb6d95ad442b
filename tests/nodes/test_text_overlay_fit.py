"""Output quality of the text overlay's wrapping and fitting (issue 18 item 12): judged from the pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from node_helpers import run_graph, upload
from PIL import Image

from conftest import Api, download, edge, ffmpeg_media, node, output

LONG_TEXT = ("The quick brown fox jumps over the lazy dog while the studio renders a very long caption "
             "that would never fit on one line of a small banner image without wrapping and fitting")


async def _image(api: Api, run: dict[str, Any], node_id: str, tmp_path: Path) -> Image.Image:
    ref = output(run, node_id, "image")
    with Image.open(await download(api, ref["media_id"], tmp_path)) as img:
        return img.convert("L")


def _ink_rows(img: Image.Image) -> list[int]:
    """How many inked pixels each row holds (the ink's horizontal projection)."""
    width = img.width
    data = img.get_flattened_data()
    return [sum(1 for p in data[y * width:(y + 1) * width] if p > 100) for y in range(img.height)]


def _text_rows(img: Image.Image) -> int:
    """Rows of text: runs of inked pixel rows separated by blank ones."""
    rows, inside = 0, False
    for count in _ink_rows(img):
        if count and not inside:
            rows += 1
        inside = count > 0
    return rows


def _ink_within(img: Image.Image, border: int) -> int:
    """Inked pixels at most ``border`` pixels from the image's edges."""
    w, h = img.size
    inner = img.crop((border, border, w - border, h - border))
    return sum(1 for p in img.get_flattened_data() if p > 100) - sum(
        1 for p in inner.get_flattened_data() if p > 100)


async def test_long_text_wraps_and_fits_inside_the_box(api: Api, tmp_path: Path) -> None:
    canvas = node("c", "image.solid_color", width=512, height=256, color="#000000")
    nodes = [canvas,
             node("fit", "image.text_overlay", text=LONG_TEXT, size=64, position="center", margin=16),
             node("narrow", "image.text_overlay", text=LONG_TEXT, size=64, position="top-left", margin=16,
                  max_width=50, align="left"),
             node("word", "image.text_overlay", text="Supercalifragilistic" * 6, size=40, position="top-left",
                  margin=10, fit=False),
             node("overflow", "image.text_overlay", text=LONG_TEXT, size=64, position="center", margin=16,
                  fit=False),
             node("single", "image.text_overlay", text=LONG_TEXT, size=64, position="center", margin=16,
                  wrap=False, fit=False)]
    edges = [edge("c", "image", n["id"], "image") for n in nodes[1:]]
    run = await run_graph(api, nodes, edges)

    fit = await _image(api, run, "fit", tmp_path)
    assert _ink_within(fit, 15) == 0  # no ink in the 16 px margin: nothing touches the border
    assert _text_rows(fit) >= 3  # wrapped into several lines
    assert sum(_ink_rows(fit)) > 2000
    assert output(run, "fit", "warning") == ""
    assert run["nodes"]["fit"]["message"] is None

    narrow = await _image(api, run, "narrow", tmp_path)
    columns = [x for x in range(512) if any(narrow.getpixel((x, y)) > 100 for y in range(256))]
    assert columns and min(columns) >= 16 and max(columns) < 16 + 256  # at most half the width
    assert _text_rows(narrow) > _text_rows(fit)  # narrower lines, more of them
    assert _ink_within(narrow, 15) == 0

    word = await _image(api, run, "word", tmp_path)  # one over-long word, cut into lines
    assert _text_rows(word) >= 2
    assert output(run, "word", "warning") == ""

    for clipped in ("overflow", "single"):  # too much text at 64 px without fitting: said, not silent
        warning = output(run, clipped, "warning")
        assert warning.startswith("text clipped"), warning
        assert run["nodes"][clipped]["message"] == warning
        image = await _image(api, run, clipped, tmp_path)
        assert _ink_within(image, 1) > 0  # indeed cut at the image's edges


async def test_video_overlay_wraps_long_text(api: Api, tmp_path: Path) -> None:
    black = ffmpeg_media(tmp_path, "black.mp4", "-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=1",
                         "-c:v", "libx264", "-pix_fmt", "yuv420p")
    nodes = [node("v", "upload.video", media_ids=[await upload(api, black)]),
             node("o", "video.text_overlay", text=LONG_TEXT, size=48, position="center", margin=12),
             node("f", "video.frame_extract", at="time", time=0.5)]
    run = await run_graph(api, nodes, [edge("v", "video", "o", "video"), edge("o", "video", "f", "video")])
    assert output(run, "o", "warning") == ""
    frame = await _image(api, run, "f", tmp_path)
    assert _text_rows(frame) >= 3
    assert _ink_within(frame, 8) == 0
