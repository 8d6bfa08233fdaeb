"""Errors as JSON: ``{"error": code, "message": "what is wrong"}`` with a fitting status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shopfloor.model.errors import ConfigError, HistorianLockedError, InputError, ShopfloorError
from shopfloor.monitor.alarms import AlarmStateError, AlarmTransitionError, UnknownAlarmError
from shopfloor.security import (
    AuthenticationError,
    ForbiddenError,
    LastAdminError,
    LoginThrottledError,
    PasswordPolicyError,
    UnknownUserError,
    UserError,
    UserExistsError,
)

# Most specific first: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (LoginThrottledError, 429),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (UnknownAlarmError, 404),
    (UnknownUserError, 404),
    (UserExistsError, 409),
    (LastAdminError, 409),
    (AlarmTransitionError, 409),
    (AlarmStateError, 409),
    (PasswordPolicyError, 400),
    (UserError, 400),
    (InputError, 400),
    (ConfigError, 400),
    (HistorianLockedError, 503),
)


def status_of(error: Exception) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 500


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": " ".join(message.split())}


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into JSON answers."""

    @app.exception_handler(ShopfloorError)
    async def shopfloor_error(request: Request, exc: ShopfloorError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc.code, str(exc)), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(part) for part in err.get("loc", ()) if part != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(error_body("input", "; ".join(problems)), status_code=422)
