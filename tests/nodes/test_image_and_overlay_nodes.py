from __future__ import annotations

from pathlib import Path
from typing import Any

from node_helpers import duration, node_with, run_graph, streams, upload
from PIL import Image

from conftest import FIXTURES, Api, download, edge, error_code, ffmpeg_media, node, output


async def _image(api: Api, run: dict[str, Any], node_id: str, tmp_path: Path) -> Image.Image:
    ref = output(run, node_id, "image")
    with Image.open(await download(api, ref["media_id"], tmp_path)) as img:
        return img.convert("RGB")


def _bright_pixels(img: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for p in img.crop(box).convert("L").get_flattened_data() if p > 128)


async def test_image_text_overlay_writes_where_asked(api: Api, tmp_path: Path) -> None:
    canvas = node("c", "image.solid_color", width=320, height=240, color="#000000")
    nodes = [canvas, node("t", "text", text="Hello"),
             node("tl", "image.text_overlay", text="Hello", position="top-left", margin=8, size=40),
             node("linked", "image.text_overlay", text="ignored", position="top-left", margin=8, size=40),
             node("boxed", "image.text_overlay", text="Hi", position="bottom-right", size=30, color="#00ff00",
                  box=True, box_color="#ff0000", box_opacity=1.0, box_padding=10, stroke_width=2,
                  font="Noto Serif", bold=True),
             node("nofont", "image.text_overlay", text="x", font="No Such Font"),
             node("empty", "image.text_overlay", text="  ")]
    edges = [edge("c", "image", nid, "image") for nid in ("tl", "linked", "boxed", "nofont", "empty")]
    edges.append(edge("t", "text", "linked", "text_input"))
    run = await run_graph(api, nodes, edges)
    top_left = await _image(api, run, "tl", tmp_path)
    assert top_left.size == (320, 240)
    assert _bright_pixels(top_left, (0, 0, 160, 60)) > 100  # the text is in the top-left corner
    assert _bright_pixels(top_left, (0, 120, 320, 240)) == 0  # and nowhere near the bottom
    linked = await _image(api, run, "linked", tmp_path)
    assert linked.tobytes() == top_left.tobytes()  # the linked text replaced "ignored"
    boxed = await _image(api, run, "boxed", tmp_path)
    assert boxed.getpixel((315, 235)) == (0, 0, 0)  # outside the margin
    red = sum(1 for p in boxed.crop((160, 160, 320, 240)).get_flattened_data() if p == (255, 0, 0))
    green = sum(1 for p in boxed.crop((160, 160, 320, 240)).get_flattened_data() if p[1] > 200 and p[0] < 60)
    assert red > 200 and green > 50
    assert sum(1 for p in boxed.crop((0, 0, 160, 120)).get_flattened_data() if p != (0, 0, 0)) == 0
    assert error_code(run, "nofont") == "FONT_NOT_FOUND"
    assert error_code(run, "empty") == "NO_TEXT"


async def test_video_text_overlay_keeps_sound(api: Api, tmp_path: Path) -> None:
    black = ffmpeg_media(tmp_path, "black.mp4", "-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=2",
                         "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264",
                         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
    video_id = await upload(api, black)
    nodes = [node("v", "upload.video", media_ids=[video_id]),
             node("o", "video.text_overlay", text="Hello\nworld", position="top-left", margin=8, size=40,
                  box=True, box_color="#ffffff", box_opacity=0.5),
             node("f", "video.frame_extract", at="time", time=1.0)]
    run = await run_graph(api, nodes, [edge("v", "video", "o", "video"), edge("o", "video", "f", "video")])
    video = output(run, "o", "video")
    assert (video["width"], video["height"]) == (320, 240)
    path = await download(api, video["media_id"], tmp_path)
    assert [s["codec_name"] for s in streams(path, "video")] == ["h264"]
    assert [s["codec_name"] for s in streams(path, "audio")] == ["aac"]
    assert abs(duration(path) - 2.0) < 0.15
    frame = await _image(api, run, "f", tmp_path)
    assert _bright_pixels(frame, (0, 0, 160, 110)) > 150  # two lines of text in the top-left corner
    assert _bright_pixels(frame, (0, 140, 320, 240)) == 0
    boxed = frame.getpixel((4, 4))  # inside the half-opaque white box, outside the glyphs
    assert isinstance(boxed, tuple) and 90 < boxed[0] < 170


async def test_crop_rotate_flip(api: Api, tmp_path: Path) -> None:
    session = await api.new_session()
    photo = await upload(api, FIXTURES / "coffee.png", session["id"])  # 600x400
    nodes = [node("p", "upload.image", media_ids=[photo]),
             node_with("custom", "image.crop", {"x": 10, "y": 20, "width": 100, "height": 50}),
             node_with("edge", "image.crop", {"x": 550, "y": 380, "width": 100, "height": 100}),
             node("wide", "image.crop", aspect="16:9"),
             node("square", "image.crop", aspect="1:1", anchor="center-left"),
             node_with("outside", "image.crop", {"x": 700}),
             node("quarter", "image.rotate", angle=90),
             node("tilt", "image.rotate", angle=30, fill="#ff0000ff"),
             node("mirror", "image.rotate", angle=0, flip_horizontal=True)]
    edges = [edge("p", "image", n["id"], "image") for n in nodes[1:]]
    run = await run_graph(api, nodes, edges, session=session)
    sizes = {nid: (output(run, nid, "image")["width"], output(run, nid, "image")["height"])
             for nid in ("custom", "edge", "wide", "square", "quarter", "tilt", "mirror")}
    assert sizes["custom"] == (100, 50)
    assert sizes["edge"] == (50, 20)  # clipped to the image
    assert sizes["wide"] == (600, 338)
    assert sizes["square"] == (400, 400)
    assert sizes["quarter"] == (400, 600)
    assert sizes["tilt"][0] > 600 and sizes["tilt"][1] > 400
    assert sizes["mirror"] == (600, 400)
    assert error_code(run, "outside") == "CROP_OUT_OF_BOUNDS"
    with Image.open(FIXTURES / "coffee.png") as original:
        src = original.convert("RGB")
    assert (await _image(api, run, "custom", tmp_path)).getpixel((0, 0)) == src.getpixel((10, 20))
    assert (await _image(api, run, "square", tmp_path)).getpixel((0, 0)) == src.getpixel((0, 0))
    assert (await _image(api, run, "mirror", tmp_path)).getpixel((0, 0)) == src.getpixel((599, 0))
    assert (await _image(api, run, "quarter", tmp_path)).getpixel((0, 0)) == src.getpixel((599, 0))
    assert (await _image(api, run, "tilt", tmp_path)).getpixel((0, 0)) == (255, 0, 0)


async def test_composite_places_scales_and_blends(api: Api, tmp_path: Path) -> None:
    nodes = [node("base", "image.solid_color", width=200, height=200, color="#000000"),
             node("red", "image.solid_color", width=40, height=20, color="#ff0000"),
             node_with("tl", "image.composite", {"anchor": "top-left", "x": 10, "y": 10}),
             node("big", "image.composite", anchor="bottom-right", scale=2.0, opacity=0.5),
             node("turned", "image.composite", anchor="center", rotation=90),
             node_with("off", "image.composite", {"anchor": "top-left", "x": -30, "y": -10})]
    edges = []
    for nid in ("tl", "big", "turned", "off"):
        edges += [edge("base", "image", nid, "base"), edge("red", "image", nid, "overlay")]
    run = await run_graph(api, nodes, edges)
    tl = await _image(api, run, "tl", tmp_path)
    assert tl.size == (200, 200)
    assert tl.getpixel((10, 10)) == (255, 0, 0) and tl.getpixel((49, 29)) == (255, 0, 0)
    assert tl.getpixel((50, 30)) == (0, 0, 0) and tl.getpixel((9, 9)) == (0, 0, 0)
    big = await _image(api, run, "big", tmp_path)
    assert big.getpixel((199, 199)) == (128, 0, 0) and big.getpixel((120, 160)) == (128, 0, 0)
    assert big.getpixel((119, 159)) == (0, 0, 0)
    turned = await _image(api, run, "turned", tmp_path)
    assert turned.getpixel((100, 81)) == (255, 0, 0) and turned.getpixel((100, 75)) == (0, 0, 0)
    assert turned.getpixel((85, 100)) == (0, 0, 0)  # 20 wide after the turn
    off = await _image(api, run, "off", tmp_path)
    assert off.getpixel((0, 0)) == (255, 0, 0) and off.getpixel((10, 10)) == (0, 0, 0)
