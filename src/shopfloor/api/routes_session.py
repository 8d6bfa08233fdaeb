"""Login, logout, who am I, own password, and user administration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from shopfloor.api.auth import COOKIE, context, permission, principal, token_of
from shopfloor.api.context import ApiContext
from shopfloor.security import ROLE_PERMISSIONS, IssuedToken, Permission, Principal, Role, User

router = APIRouter(prefix="/api", tags=["session"])


class Login(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=8192)


class PasswordChange(BaseModel):
    current: str = Field(max_length=8192)
    new: str = Field(max_length=8192)


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=8192)
    role: str = "viewer"


class UserChange(BaseModel):
    role: str | None = None
    disabled: bool | None = None
    password: str | None = Field(None, max_length=8192)


def user_json(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role.label,
        "disabled": user.disabled,
        "must_change_password": user.must_change_password,
        "created_ns": user.created_ns,
        "updated_ns": user.updated_ns,
    }


def _session(response: Response, issued: IssuedToken, secure: bool) -> dict[str, Any]:
    # HttpOnly: page scripts never see the token; Strict: no cross-site request carries it.
    response.set_cookie(
        COOKIE, issued.token, httponly=True, samesite="strict", secure=secure, path="/"
    )
    who = issued.principal
    return {
        "token": issued.token,
        "user": who.user,
        "role": who.role.label,
        "must_change_password": who.must_change_password,
        "expires_ns": issued.expires_ns,
    }


@router.post("/login", summary="Log in: a bearer token, and the same as a session cookie")
async def login(
    body: Login, request: Request, response: Response, ctx: ApiContext = Depends(context)
) -> dict[str, Any]:
    client = request.client.host if request.client else "unknown"
    issued = await ctx.security.login(body.username, body.password, client=client)
    return _session(response, issued, request.url.scheme == "https")


@router.post("/logout", summary="End this session")
async def logout(
    request: Request, response: Response, ctx: ApiContext = Depends(context)
) -> dict[str, str]:
    token = token_of(request.headers, request.cookies)
    if token is not None:
        await ctx.security.logout(token)
    response.delete_cookie(COOKIE, path="/")
    return {"status": "logged out"}


@router.get("/me", summary="Who this session belongs to, and what the role may do")
async def me(who: Principal = Depends(principal)) -> dict[str, Any]:
    return {
        "user": who.user,
        "role": who.role.label,
        "must_change_password": who.must_change_password,
        # The dashboard shows a button only to a role that may press it.
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[who.role]),
    }


@router.post("/me/password", summary="Change your own password (ends your other sessions)")
async def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    ctx: ApiContext = Depends(context),
    who: Principal = Depends(principal),
) -> dict[str, Any]:
    issued = await ctx.security.change_own_password(who, body.current, body.new)
    return _session(response, issued, request.url.scheme == "https")


Admin = Depends(permission(Permission.USER_ADMIN))


@router.get("/users", summary="Every user (admin)")
async def users(ctx: ApiContext = Depends(context), who: Principal = Admin) -> list[dict[str, Any]]:
    return [user_json(u) for u in ctx.security.list_users(who)]


@router.post("/users", summary="Create a user (admin)", status_code=201)
async def create_user(
    body: NewUser, ctx: ApiContext = Depends(context), who: Principal = Admin
) -> dict[str, Any]:
    user = await ctx.security.create_user(who, body.name, body.password, role=Role.parse(body.role))
    return user_json(user)


@router.patch("/users/{name}", summary="Change a user's role, state or password (admin)")
async def change_user(
    name: str, body: UserChange, ctx: ApiContext = Depends(context), who: Principal = Admin
) -> dict[str, Any]:
    security = ctx.security
    user = security.users.get(name)
    if body.role is not None:
        user = await security.set_role(who, name, Role.parse(body.role))
    if body.disabled is True:
        user = await security.disable_user(who, name)
    elif body.disabled is False:
        user = await security.enable_user(who, name)
    if body.password is not None:
        user = await security.reset_password(who, name, body.password)
    return user_json(user)


@router.delete("/users/{name}", summary="Delete a user (admin)")
async def delete_user(
    name: str, ctx: ApiContext = Depends(context), who: Principal = Admin
) -> dict[str, str]:
    await ctx.security.delete_user(who, name)
    return {"status": "deleted", "name": name}
