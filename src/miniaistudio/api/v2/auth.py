"""Sign-in, sign-out and the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ...services.accounts import IssuedToken
from ..common.credentials import TOKEN_COOKIE, read_credential
from ..common.deps import ClientAddress, CurrentUser, SecureCookies, StudioDep
from .schemas import OkPublic, TokenPublic, UserPublic

router = APIRouter(tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


def set_login_cookie(response: Response, issued: IssuedToken, *, secure: bool) -> None:
    response.set_cookie(TOKEN_COOKIE, issued.token, max_age=issued.expires_in, httponly=True,
                        samesite="strict", secure=secure, path="/")


@router.post("/auth/login", summary="Sign in; returns a JWT and sets it as an HttpOnly cookie "
                                    "(failed attempts are throttled: 429 TOO_MANY_LOGIN_ATTEMPTS with Retry-After)",
                                      response_model=TokenPublic, response_model_exclude_unset=True)
def login(body: LoginRequest, response: Response, studio: StudioDep, client: ClientAddress,
          secure: SecureCookies) -> TokenPublic:
    issued = studio.accounts.login(body.email, body.password, client=client)
    set_login_cookie(response, issued, secure=secure)
    return TokenPublic.of(issued)


@router.post("/auth/logout", summary="Sign out: revokes this login token (and the cookie's) and clears the cookie",
             response_model=OkPublic, response_model_exclude_unset=True)
def logout(request: Request, response: Response, _: CurrentUser, studio: StudioDep) -> OkPublic:
    credential = read_credential(request.headers)
    if credential is not None:
        studio.accounts.logout(credential.value)
    cookie = request.cookies.get(TOKEN_COOKIE)
    if cookie and (credential is None or cookie != credential.value):
        studio.accounts.logout(cookie)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return OkPublic(ok=True)


@router.get("/auth/me", summary="The signed-in user", response_model=UserPublic, response_model_exclude_unset=True)
def me(user: CurrentUser, studio: StudioDep) -> UserPublic:
    return UserPublic.of(studio.accounts.profile(user.user_id), via_api_key=user.via_api_key)
