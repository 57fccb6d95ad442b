from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from ..deps import TOKEN_COOKIE, CurrentUser, StudioDep

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/auth/login", summary="Sign in; returns a JWT and sets it as an HttpOnly cookie")
def login(body: LoginRequest, response: Response, studio: StudioDep) -> dict[str, Any]:
    token = studio.accounts.login(body.email, body.password)
    response.set_cookie(TOKEN_COOKIE, token, max_age=studio.settings.token_ttl_seconds, httponly=True,
                        samesite="strict", secure=studio.settings.cookie_secure, path="/")
    return {"token": token, "token_type": "bearer", "expires_in": studio.settings.token_ttl_seconds}


@router.post("/auth/logout", summary="Clear the login cookie")
def logout(response: Response, _: CurrentUser) -> dict[str, bool]:
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return {"ok": True}


@router.get("/auth/me", summary="The signed-in user")
def me(user: CurrentUser, studio: StudioDep) -> dict[str, Any]:
    return {**studio.accounts.profile(user.user_id), "via_api_key": user.via_api_key}
