"""The console's request plumbing, shared by its pages: who is asking, CSRF, notices, rendering.

Kept at module level so FastAPI can resolve the annotations; ``review.web.app``
builds the application and ``review.web.casework`` adds the pages for large
cases, bulk actions, exports and enforcement.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from review.auth import session_user
from review.errors import CaseNotFound, ReviewError
from review.users import UserInfo

MAX_ID = 2**63 - 1  # ids are 64-bit integers in both databases


class LoginRequired(Exception):
    """Raised by the auth dependency; handled as a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    def __init__(self, message: str, what: str) -> None:
        self.message = message
        self.what = what  # for the audit log


# --- request plumbing (module level, so FastAPI can resolve the annotations) ----
def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every POST must carry the session's token: a forged cross-site form cannot know it."""
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise Forbidden(
            "The form was stale or did not come from this console. Reload and retry.",
            what=f"POST {request.url.path} without this session's CSRF token",
        )


def current_user(request: Request) -> UserInfo:
    token = request.session.get("sid")
    # The session row, the role and the disabled flag are read on every request.
    user = session_user_of(request)
    if token and user is not None:
        request.state.user = user
        return user
    request.session.clear()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target if request.method == "GET" else "/")


def session_user_of(request: Request) -> UserInfo | None:
    token = request.session.get("sid")
    if not token:
        return None
    return session_user(engine_of(request), token, policy=request.app.state.session_policy)


def require_lead(user: Annotated[UserInfo, Depends(current_user)]) -> UserInfo:
    if not user.is_lead:
        raise Forbidden("Only leads can do that.", what="a lead's page or action")
    return user


CurrentUser = Annotated[UserInfo, Depends(current_user)]
Lead = Annotated[UserInfo, Depends(require_lead)]
CaseId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
CSRF_CHECKED = [Depends(check_csrf)]


def flash(request: Request, kind: str, text: str) -> None:
    request.session.setdefault("flash", []).append([kind, text])


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    context["csrf"] = session_csrf_token(request)
    context["messages"] = request.session.pop("flash", [])
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def back_to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def act(request: Request, case_id: int | None, action: Callable[[], str | None]) -> Response:
    """Run a queue action; refusals become a notice on the page, not an error page."""
    target = f"/cases/{case_id}" if case_id is not None else "/"
    try:
        message = action()
    except CaseNotFound:
        raise
    except ReviewError as exc:
        flash(request, "error", str(exc))
        return back_to(target)
    if message:
        flash(request, "ok", message)
    return back_to(target)
