"""Publishing an app from a session and running it through the Magnific door: each input type, URL /
base64 / creation-id images, polling to several outputs fetched by their signed links, credits."""

from __future__ import annotations

import base64
import io
import re
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from conftest import FIXTURES, Api, edge, node

from .conftest import APP_PRICE, input_ids, magnific_key, publish_app, run_when

pytestmark = pytest.mark.timeout(120)

SQID = re.compile(r"^[0-9A-Za-z]{10}$")
INPUT_ID = re.compile(r"^input-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d+$")


def png_b64(size: tuple[int, int] = (80, 60)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_publish_list_and_describe(api: Api) -> None:
    app = await publish_app(api)
    assert SQID.match(app["id"]) and app["visibility"] == "private" and app["is_owner"]
    assert [i["type"] for i in app["inputs"]] == ["creation", "text", "number", "select"]
    assert all(INPUT_ID.match(i["id"]) and i["id"].endswith(f"-{n}") for n, i in enumerate(app["inputs"], 1))
    assert app["inputs"][3]["options"] == ["stretch", "fit", "cover"]  # from the parameter's choices
    assert app["outputs"] == ["crop", "small", "swatch"] and app["total_cost"] == APP_PRICE
    key = await magnific_key(api)

    listed = (await api.client.get("/v1/ai/apps", headers=key)).json()["data"]
    assert [a["id"] for a in listed] == [app["id"]]
    r = await api.client.get(f"/v1/ai/apps/{app['id']}", headers=key)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["name"] == "Photo kit" and data["tool_metadata"] == {"total_cost": APP_PRICE}
    assert data["outputs"] == 3
    number = next(i for i in data["inputs"] if i["type"] == "number")
    assert (number["min"], number["max"], number["default"], number["required"]) == (0, 10000, 0, False)
    text = next(i for i in data["inputs"] if i["type"] == "text")
    assert text["default"] == "#aa5500" and text["options"] is None
    assert "node_id" not in data["inputs"][0]  # the graph stays the owner's
    # The same id on the canvas side; unknown and non-canonical ids are not found.
    assert (await api.get(f"/api/v2/apps/{app['id']}")).json()["id"] == app["id"]
    for bad in ("uqzQLDr2Aw", "0", "x" * 41, "abc%20def"):
        r = await api.client.get(f"/v1/ai/apps/{bad}", headers=key)
        assert r.status_code == 404 and r.json()["code"] == "APP_NOT_FOUND", (bad, r.text)
    assert set(r.json()) == {"message", "code"}


async def test_run_with_url_base64_and_creation_id(api: Api, file_server: str) -> None:
    app = await publish_app(api)
    ids = input_ids(app)
    key = await magnific_key(api)
    uploaded = await api.upload(None, FIXTURES / "chelsea.png")
    balance = (await api.get("/api/v2/billing/balance")).json()["available"]
    photos = {"url": f"{file_server}/coffee.png", "data url": f"data:image/png;base64,{png_b64()}",
              "bare base64": png_b64((70, 50)), "creation id": uploaded["id"]}
    for how, photo in photos.items():
        r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={
            "inputs": {ids["Photo"]: photo, ids["Fit mode"]: "cover", ids["Crop left"]: 4,
                       ids["Swatch colour"]: "#ff0000"}})
        assert r.status_code == 200, (how, r.text)
        accepted = r.json()["data"]
        assert accepted["status"] in ("CREATED", "IN_PROGRESS") and accepted["app_id"] == app["id"]
        done = await run_when(api, key, accepted["run_id"], "COMPLETED", "FAILED")
        assert done["status"] == "COMPLETED", (how, done)
        assert [o["node_id"] for o in done["outputs"]] == ["crop", "small", "swatch"]
        assert done["generated"] == [o["url"] for o in done["outputs"]] and done["progress"] == 100
        assert done["credits"] == APP_PRICE
        sizes = []
        async with httpx.AsyncClient(transport=api.client._transport, base_url="http://studio.test") as anonymous:
            for out in done["outputs"]:
                assert out["type"] == "image" and out["content_type"] == "image/png"
                assert out["url"].startswith("http") and "signature=" in out["url"]
                link = urlsplit(out["url"])
                got = await anonymous.get(f"{link.path}?{link.query}")  # no credential: the link is one
                assert got.status_code == 200, got.text
                sizes.append(Image.open(io.BytesIO(got.content)).size)
                if out["node_id"] == "swatch":
                    assert Image.open(io.BytesIO(got.content)).convert("RGB").getpixel((0, 0)) == (255, 0, 0)
        assert sizes[1:] == [(32, 24), (16, 16)], how
    after = (await api.get("/api/v2/billing/balance")).json()["available"]
    assert balance - after == 4 * APP_PRICE


async def test_inputs_are_validated_by_their_ids(api: Api, file_server: str, studio: object) -> None:
    app = await publish_app(api)
    ids = input_ids(app)
    key = await magnific_key(api)

    async def refused(inputs: dict[str, object], *names: str) -> dict[str, object]:
        r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={"inputs": inputs})
        assert r.status_code == 400, r.text
        body: dict[str, object] = r.json()
        assert body["code"] == "INVALID_INPUTS", body
        assert [p["name"] for p in body["invalid_params"]] == list(names), body  # type: ignore[attr-defined]
        return body

    photo = f"{file_server}/coffee.png"
    await refused({}, ids["Photo"], ids["Fit mode"])
    await refused({ids["Photo"]: photo, ids["Fit mode"]: "sideways"}, ids["Fit mode"])
    await refused({ids["Photo"]: photo, ids["Fit mode"]: "fit", ids["Crop left"]: 10001}, ids["Crop left"])
    await refused({ids["Photo"]: photo, ids["Fit mode"]: "fit", ids["Crop left"]: "3"}, ids["Crop left"])
    await refused({ids["Photo"]: photo, ids["Fit mode"]: "fit", "input-nope": 1}, "input-nope")
    r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={"inputs": {ids["Photo"]: {"a": 1}}})
    assert r.status_code == 400 and [p["name"] for p in r.json()["invalid_params"]] == [ids["Photo"]], r.text
    await refused({ids["Photo"]: photo, ids["Fit mode"]: "fit", ids["Swatch colour"]: "red"}, ids["Swatch colour"])
    await refused({ids["Photo"]: "hello", ids["Fit mode"]: "fit"}, ids["Photo"])
    await refused({ids["Photo"]: "data:image/png;base64,!!!!", ids["Fit mode"]: "fit"}, ids["Photo"])
    await refused({ids["Photo"]: base64.b64encode(b"not an image, just words").decode(), ids["Fit mode"]: "fit"},
                  ids["Photo"])
    await refused({ids["Photo"]: f"{file_server}/notes.png", ids["Fit mode"]: "fit"}, ids["Photo"])
    await refused({ids["Photo"]: "0b6c3c39-1f3e-4a57-9d7e-8f40a1b2c3d4", ids["Fit mode"]: "fit"}, ids["Photo"])
    # The safe fetcher refuses loopback unless the studio allows private URLs (this one does, for the file server).
    studio.apps.creations.allow_private_urls = False  # type: ignore[attr-defined]
    body = await refused({ids["Photo"]: photo, ids["Fit mode"]: "fit"}, ids["Photo"])
    assert body["details"] == {"cause": "URL_NOT_ALLOWED"}
    r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key,
                              json={"inputs": {ids["Fit mode"]: "fit"}, "webhook": "ftp://example.com/x"})
    assert r.status_code == 400 and r.json()["invalid_params"][0]["name"] == "webhook", r.text
    # Nothing was run, nothing charged, nothing left in the gallery.
    assert (await api.get(f"/api/v2/apps/{app['id']}/analytics")).json()["runs"] == 0
    media = (await api.get("/api/v2/media")).json()
    assert media["total"] == 0, media


async def test_a_failed_run_and_the_owners_analytics(api: Api, make_user: object, file_server: str) -> None:
    app = await publish_app(api, visibility="everyone")
    ids = input_ids(app)
    key = await magnific_key(api)
    other: Api = await make_user("runner@example.com")  # type: ignore[operator]
    other_key = await magnific_key(other)
    photo = f"{file_server}/coffee.png"
    ok = {ids["Photo"]: photo, ids["Fit mode"]: "fit"}
    runs = []
    for who, inputs in ((key, ok), (other_key, ok), (key, {**ok, ids["Crop left"]: 9999})):
        r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=who, json={"inputs": inputs})
        assert r.status_code == 200, r.text
        runs.append((who, r.json()["data"]["run_id"]))
    states = [await run_when(api, who, run_id, "COMPLETED", "FAILED") for who, run_id in runs]
    assert [s["status"] for s in states] == ["COMPLETED", "COMPLETED", "FAILED"]
    assert states[2]["error"]["code"] == "CROP_OUT_OF_BOUNDS" and states[2]["outputs"] == []
    assert states[2]["credits"] in (0, 1)  # only nodes that succeed are charged (the resize may have run)
    # Each run is its runner's: the owner cannot poll another's run.
    r = await api.client.get(f"/v1/ai/apps/runs/{runs[1][1]}", headers=key)
    assert r.status_code == 404 and r.json()["code"] == "JOB_NOT_FOUND"
    stats = (await api.get(f"/api/v2/apps/{app['id']}/analytics")).json()
    assert stats == {"app_id": app["id"], "runs": 3, "completed": 2, "failed": 1, "running": 0,
                     "credits": 2 * APP_PRICE + states[2]["credits"]}
    r = await other.get(f"/api/v2/apps/{app['id']}/analytics")
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"


async def test_mixed_outputs_and_the_size_limit(api: Api, studio: object) -> None:
    """A video and an image from one run (their kinds and types in the answer), and a base64 image above
    the studio's limit refused by its input id."""
    session = await api.new_session("Motion")
    await api.save_graph(session, {
        "nodes": [node("photo", "upload.image"),
                  node("move", "video.ken_burns", x=200, duration=0.5, fps=8, width=64, height=48),
                  node("thumb", "image.resize", x=200, width=16, height=12, mode="stretch")],
        "edges": [edge("photo", "image", "move", "image"), edge("photo", "image", "thumb", "image")]})
    r = await api.post(f"/api/v2/sessions/{session['id']}/publish-app", json={
        "name": "Motion", "inputs": [{"node_id": "photo", "type": "creation", "label": "Still"}],
        "outputs": [{"node_id": "move"}, {"node_id": "thumb"}]})
    assert r.status_code == 201, r.text
    app = r.json()
    still = app["inputs"][0]["id"]
    key = await magnific_key(api)
    r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={"inputs": {still: png_b64((96, 72))}})
    assert r.status_code == 200, r.text
    done = await run_when(api, key, r.json()["data"]["run_id"], "COMPLETED", "FAILED")
    assert done["status"] == "COMPLETED", done
    assert [(o["node_id"], o["type"], o["content_type"]) for o in done["outputs"]] == [
        ("move", "video", "video/mp4"), ("thumb", "image", "image/png")]
    studio.apps.creations.max_bytes = 4096  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    Image.effect_noise((200, 150), 60).save(buffer, format="PNG")  # noise: no compression shrinks it below the limit
    noisy = base64.b64encode(buffer.getvalue()).decode()
    r = await api.client.post(f"/v1/ai/apps/{app['id']}/run", headers=key, json={"inputs": {still: noisy}})
    assert r.status_code == 400 and r.json()["invalid_params"][0]["name"] == still, r.text
