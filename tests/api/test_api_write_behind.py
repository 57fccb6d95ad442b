"""Node images written behind (encoded and stored while the next nodes run): every recorded output is a
complete PNG with its provenance, its size is the file's, and a reader that misses the memo waits for it."""

from __future__ import annotations

import io
import json

from PIL import Image

from conftest import Api, edge, node


async def test_every_output_is_written_with_provenance_before_the_run_ends(api: Api) -> None:
    # 1800 px is more than the image memo keeps (a quarter of its budget): the adjust node reads the
    # file, waiting for its write, and the later ones read the memo.
    graph = {"nodes": [node("c", "image.solid_color", width=1800, height=1800, color="#336699"),
                       node("a", "image.adjust", x=200, invert=True),
                       node("r", "image.resize", x=400, width=32, height=32, mode="stretch"),
                       node("b", "image.adjust", x=600, invert=True)],
             "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image"),
                       edge("r", "image", "b", "image")]}
    session = await api.new_session()
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    assert set(run["nodes"]) == {"c", "a", "r", "b"}

    group = (await api.get(f"/api/v2/media/sessions/{session['id']}")).json()
    listed = {item["node_id"]: item for item in group["items"]}
    assert set(listed) == {"c", "a", "r", "b"}  # every output is in the gallery once the run answers
    expected = {"c": (0x33, 0x66, 0x99), "a": (0xCC, 0x99, 0x66), "r": (0xCC, 0x99, 0x66), "b": (0x33, 0x66, 0x99)}
    for nid, state in run["nodes"].items():
        output = state["outputs"]["image"]
        body = (await api.get(output["url"])).content
        assert listed[nid]["size_bytes"] == len(body)
        with Image.open(io.BytesIO(body)) as img:
            assert img.format == "PNG"
            assert img.getpixel((0, 0))[:3] == expected[nid]
            provenance = json.loads(img.info["parameters"])
        assert provenance["node_id"] == nid and provenance["run_id"] == run["run_id"]
        assert listed[nid]["metadata"]["node_id"] == nid

    # Cached outputs of the same files: a rerun of the last node alone reads its input back.
    again = await api.rerun(session["id"], "b")
    assert again["status"] == "succeeded" and again["nodes"]["r"]["status"] == "cached"
