from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ..common.credentials import read_credential
from ..common.deps import ClientAddress, CurrentUser, SecureCookies, StudioDep
from .auth import set_login_cookie
from .schemas import ApiKeyPublic, TokenPublic

router = APIRouter(tags=["account"])


class ApiKeyUpdate(BaseModel):
    enabled: bool


@router.get("/account/api-key", summary="Whether API access is enabled, and the key's safe prefix",
            response_model=ApiKeyPublic, response_model_exclude_unset=True)
def get_api_key(user: CurrentUser, studio: StudioDep) -> ApiKeyPublic:
    return ApiKeyPublic.of(studio.accounts.api_key_status(user.user_id))


@router.put("/account/api-key", summary="Enable or disable the API key (enabling issues one if none)",
            response_model=ApiKeyPublic, response_model_exclude_unset=True)
def put_api_key(body: ApiKeyUpdate, user: CurrentUser, studio: StudioDep) -> ApiKeyPublic:
    return ApiKeyPublic.of(studio.accounts.set_api_key_enabled(user.user_id, body.enabled))


@router.post("/account/api-key/regenerate", summary="Issue a new mas_ key; the secret is shown once",
             response_model=ApiKeyPublic, response_model_exclude_unset=True)
def regenerate_api_key(user: CurrentUser, studio: StudioDep) -> ApiKeyPublic:
    return ApiKeyPublic.of(studio.accounts.regenerate_api_key(user.user_id))


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)


@router.post("/account/password",
             summary="Change your password: signs out every other login and returns a new token "
                     "(wrong current passwords are throttled like sign-ins)",
                       response_model=TokenPublic, response_model_exclude_unset=True)
def change_password(body: PasswordChange, request: Request, response: Response, user: CurrentUser,
                    studio: StudioDep, client: ClientAddress, secure: SecureCookies) -> TokenPublic:
    issued = studio.accounts.change_password(user.user_id, body.current_password, body.new_password, client=client)
    credential = read_credential(request.headers)
    if credential is None or credential.from_cookie:  # the browser's login goes on with the new token
        set_login_cookie(response, issued, secure=secure)
    return TokenPublic.of(issued)
