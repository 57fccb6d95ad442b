from __future__ import annotations

from conftest import Api, edge, node


async def test_chain_runs_and_caches(api: Api) -> None:
    session = await api.new_session()
    graph = {"nodes": [node("c", "image.solid_color", width=64, height=64, color="#336699"),
                       node("a", "image.adjust", invert=True),
                       node("r", "image.resize", width=32, height=32)],
             "edges": [edge("c", "image", "a", "image"), edge("a", "image", "r", "image")]}
    await api.save_graph(session, graph)
    run = await api.run(session["id"])
    assert run["status"] == "succeeded", run
    assert run["counts"] == {"succeeded": 3}
    again = await api.run(session["id"])
    assert again["counts"] == {"cached": 3}
