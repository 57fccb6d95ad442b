"""Publishing a recipe must not reveal other users' private recipe ids (no RECIPE_ID_TAKEN
oracle): user recipe ids are scoped per owner; bundled and admin ids stay reserved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from conftest import Api, node
from miniaistudio.store.migrate import HEAD, current_revision, upgrade
from old_databases import NOW, add_user, at_revision, old_database


async def publish(api: Api, recipe_id: str, name: str) -> Any:
    session = await api.new_session(name)
    await api.save_graph(session, {"nodes": [node("bg", "image.solid_color", width=8, height=8)], "edges": []})
    return await api.post(f"/api/v2/sessions/{session['id']}/publish-recipe", json={
        "id": recipe_id, "name": name, "inputs": [{"name": "color", "node_id": "bg", "field": "color"}]})


async def test_two_users_may_publish_the_same_id_without_learning_of_each_other(
        make_user: Callable[..., Any]) -> None:
    alice: Api = await make_user()
    bob: Api = await make_user()
    assert (await publish(alice, "secret_plan", "Alice's plan")).status_code == 201
    r = await publish(bob, "secret_plan", "Bob's plan")
    assert r.status_code == 201, r.text  # no RECIPE_ID_TAKEN: nothing about Alice's ids leaks
    for user, name in ((alice, "Alice's plan"), (bob, "Bob's plan")):
        assert (await user.get("/api/v2/recipes/secret_plan")).json()["name"] == name
        listed = [r for r in (await user.get("/api/v2/recipes")).json()["recipes"] if r["id"] == "secret_plan"]
        assert [r["name"] for r in listed] == [name]
        r = await user.post("/api/v2/recipes/secret_plan/run", json={"inputs": {"color": "#102030"}})
        assert r.status_code == 200, r.text
    assert (await publish(bob, "secret_plan", "Bob's plan v2")).status_code == 201  # own id: an update
    assert (await bob.get("/api/v2/recipes/secret_plan")).json()["name"] == "Bob's plan v2"
    assert (await alice.get("/api/v2/recipes/secret_plan")).json()["name"] == "Alice's plan"
    eve: Api = await make_user()
    assert (await eve.get("/api/v2/recipes/secret_plan")).json()["code"] == "RECIPE_NOT_FOUND"


async def test_bundled_and_admin_ids_stay_reserved(make_user: Callable[..., Any], api: Api) -> None:
    admin: Api = await make_user(admin=True)
    r = await admin.post("/api/v2/recipes", json={
        "id": "house_style", "name": "House style",
        "input_schema": {"type": "object", "properties": {"color": {"type": "string"}}},
        "bindings": {"color": [{"node": "bg", "field": "color"}]},
        "graph": {"nodes": [node("bg", "image.solid_color", width=8, height=8)], "edges": []}})
    assert r.status_code == 201, r.text
    for taken in ("house_style", "image_upscaler"):
        r = await publish(api, taken, "Mine")
        assert r.status_code == 422 and r.json()["code"] == "RECIPE_ID_TAKEN", r.text
    assert (await api.get("/api/v2/recipes/house_style")).json()["name"] == "House style"


def test_migration_keeps_existing_recipes_in_their_scope(tmp_path: Path) -> None:
    db = old_database(tmp_path)
    with at_revision(db, "0003") as conn:
        add_user(conn)
        for rid, owner, source in (("shared_one", None, "admin"), ("mine", "u1", "user")):
            conn.execute(text("INSERT INTO recipes (id, owner_id, source, name, description, version, document, "
                              "created_at, updated_at) VALUES (:id, :owner, :source, 'n', '', '1', '{}', :now, :now)"),
                         {"id": rid, "owner": owner, "source": source, "now": NOW})
    assert upgrade(db)
    assert current_revision(db) == HEAD
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT scope, id, owner_id FROM recipes ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("u1", "mine", "u1"), ("*", "shared_one", None)]
    db.dispose()
