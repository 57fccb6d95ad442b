"""Recipes API: list, inspect, run (create a session from validated inputs), add, publish."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from ...services.recipes import PublishRequest, RecipeRun
from ..common.deps import CurrentUser, StudioDep
from .deps import ExecutionDep
from .recipe_schemas import RecipeListingPublic, RecipePublic, RecipeRunPublic, RecipeSummaryPublic

router = APIRouter(tags=["recipes"])


@router.get("/recipes", summary="Available recipes with metadata and input schemas (ListRecipes)",
            response_model=RecipeListingPublic, response_model_exclude_unset=True)
def list_recipes(user: CurrentUser, studio: StudioDep) -> RecipeListingPublic:
    return RecipeListingPublic.of(studio.recipes.listing(user))


@router.get("/recipes/{recipe_id}", summary="One recipe: name, description, version, inputs, JSON Schema",
            response_model=RecipePublic, response_model_exclude_unset=True)
def get_recipe(recipe_id: str, user: CurrentUser, studio: StudioDep) -> RecipePublic:
    return RecipePublic.of_recipe(studio.recipes.get(user, recipe_id))


@router.post("/recipes/{recipe_id}/run", summary="Create a session from a recipe; execute=true also runs it",
             response_model=RecipeRunPublic, response_model_exclude_unset=True)
async def run_recipe(recipe_id: str, body: RecipeRun, user: CurrentUser, studio: StudioDep,
                     execution: ExecutionDep) -> RecipeRunPublic:
    return RecipeRunPublic.of(await studio.recipes.run(user, recipe_id, body, execution))


@router.post("/recipes", status_code=201, summary="Add a recipe for everyone (admins)",
             response_model=RecipeSummaryPublic, response_model_exclude_unset=True)
def add_recipe(body: dict[str, Any], user: CurrentUser, studio: StudioDep) -> RecipeSummaryPublic:
    return RecipeSummaryPublic.of(studio.recipes.add(user, body))


@router.post("/sessions/{session_id}/publish-recipe", status_code=201,
             summary="Publish one of your sessions as a recipe, choosing which fields are inputs",
             response_model=RecipeSummaryPublic, response_model_exclude_unset=True)
async def publish_recipe(session_id: str, body: PublishRequest, user: CurrentUser,
                         studio: StudioDep) -> RecipeSummaryPublic:
    return RecipeSummaryPublic.of(await asyncio.to_thread(studio.recipes.publish, user, session_id, body))
