"""The v2 door's public models of recipes (see ``schemas.py`` for the conventions)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from ...core.recipes import Binding, Recipe
from ...services.recipes import ListedRecipe, PreparedSession
from .schemas import MediaType, Public


# -- recipes -------------------------------------------------------------------------------------
class RecipeSummaryPublic(Public):
    id: str
    name: str
    title: str
    description: str
    version: str
    category: str
    input_schema: dict[str, Any] = Field(description="JSON Schema (2020-12) of the inputs")
    inputs: list[str]

    @classmethod
    def of(cls, recipe: Recipe, **more: Any) -> Self:
        """``more``: the fields a subclass adds."""
        return cls(id=recipe.id, name=recipe.name, title=recipe.title, description=recipe.description,
                   version=recipe.version, category=recipe.category, input_schema=recipe.input_schema,
                   inputs=recipe.input_names(), **more)


class RecipeListItemPublic(RecipeSummaryPublic):
    source: str = Field(description="bundled, admin or user")


class RecipeListingPublic(Public):
    recipes: list[RecipeListItemPublic]

    @classmethod
    def of(cls, listed: list[ListedRecipe]) -> RecipeListingPublic:
        return cls(recipes=[RecipeListItemPublic.of(item.recipe, source=item.source) for item in listed])


class BindingPublic(Public):
    """An input's target: a node parameter (``field``) or an upload node (``media``)."""

    node: str
    field: str | None = None
    media: MediaType | None = None

    @classmethod
    def of(cls, binding: Binding) -> BindingPublic:
        return cls(**binding.model_dump(exclude_none=True))


class RecipePublic(RecipeSummaryPublic):
    bindings: dict[str, list[BindingPublic]]
    graph: dict[str, Any] = Field(description="The graph document the inputs are written into")

    @classmethod
    def of_recipe(cls, recipe: Recipe) -> RecipePublic:
        bindings = {name: [BindingPublic.of(b) for b in targets] for name, targets in recipe.bindings.items()}
        return cls.of(recipe, bindings=bindings, graph=recipe.graph.model_dump(mode="json"))


class RecipeRunPublic(Public):
    session_id: str

    @classmethod
    def of(cls, prepared: PreparedSession) -> RecipeRunPublic:
        return cls(session_id=prepared.session_id)
