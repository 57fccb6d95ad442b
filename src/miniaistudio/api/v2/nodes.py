"""The node catalog: every node type's sockets and parameter JSON Schema."""

from __future__ import annotations

from fastapi import APIRouter

from ...core.errors import NotFound
from ..common.deps import CurrentUser, StudioDep
from .schemas import NodeCatalogPublic, NodeSpecPublic

router = APIRouter(tags=["nodes"])


@router.get("/nodes", summary="The node catalog: sockets and parameter JSON Schemas",
            response_model=NodeCatalogPublic, response_model_exclude_unset=True)
def list_nodes(_: CurrentUser, studio: StudioDep) -> NodeCatalogPublic:
    return NodeCatalogPublic.of(studio.registry.all())


@router.get("/nodes/{node_type}", summary="One node type",
            response_model=NodeSpecPublic, response_model_exclude_unset=True)
def get_node(node_type: str, _: CurrentUser, studio: StudioDep) -> NodeSpecPublic:
    spec = studio.registry.get(node_type)
    if spec is None:
        raise NotFound(f"unknown node type {node_type!r}", code="UNKNOWN_NODE_TYPE")
    return NodeSpecPublic.of(spec)
