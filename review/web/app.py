"""The analysts' console: a server-rendered FastAPI app over the review queue.

Pages are Jinja2 templates with autoescaping on; everything that came from
traffic (prompts, system prompts, user agents, email domains, reasons) and
every user name is rendered as escaped text with bidirectional, zero-width and
control characters made visible (``inert`` filter). There is no JavaScript at
all, and the Content-Security-Policy forbids scripts, so even a gap in
escaping could not run code. Every response carries the security headers,
errors included.

Logins are throttled and audited (``review.auth``); a login opens a
server-side session whose token rides in a signed cookie (Starlette's
SessionMiddleware, which also keeps the CSRF token and notices), and the
session row decides on every request: logout, a password change or disabling
the user ends it, as do its idle and absolute lifetimes. Served over TLS
(``secure_cookies``), the cookie is ``Secure`` and ``__Host-`` prefixed and
HSTS is sent. Every POST form carries the session's CSRF token; roles are
analyst and lead (leads also reassign, take escalated cases and read the audit
log), re-read on every request; refusals are audited.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from review.auth import (
    LoginFailed,
    LoginPolicy,
    LoginThrottled,
    SessionPolicy,
    authenticate,
    close_session,
    open_session,
    record_denial,
    session_user,
)
from review.db import open_queue
from review.errors import CaseNotFound, InvalidDecision, ReviewError
from review.records import CaseSummary
from review.service import (
    ClaimPolicy,
    add_comment,
    claim_case,
    claim_next_case,
    count_cases,
    decide_case,
    escalate_case,
    get_case,
    list_cases,
    read_audit,
    reassign_case,
    release_case,
)
from review.tables import utcnow
from review.text import inert
from review.users import UserInfo, get_user, list_users
from review.vocabulary import (
    ACCOUNT_OUTCOMES,
    WORKING_STATUSES,
    CaseFilter,
    CaseStatus,
    Outcome,
)
from review.web.plots import timeline_svg

__all__ = ["create_app", "inert"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "hydrasweep_session"
SECURE_SESSION_COOKIE = "__Host-hydrasweep_session"  # Secure, Path=/, no Domain: only over TLS
PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1  # ids are 64-bit integers in both databases

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
# A failure nobody planned for: no template (it may be the templates that failed).
_INTERNAL_ERROR_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Error · hydrasweep</title>"
    "<h1>Something went wrong</h1><p>The error was logged. <a href=/>Back to the queue</a></p>"
)


class LoginRequired(Exception):
    """Raised by the auth dependency; handled as a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    def __init__(self, message: str, what: str) -> None:
        self.message = message
        self.what = what  # for the audit log


# --- request plumbing (module level, so FastAPI can resolve the annotations) ----
def _engine(request: Request) -> Engine:
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
    user = _session_user(request)
    if token and user is not None:
        request.state.user = user
        return user
    request.session.clear()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target if request.method == "GET" else "/")


def _session_user(request: Request) -> UserInfo | None:
    token = request.session.get("sid")
    if not token:
        return None
    return session_user(_engine(request), token, policy=request.app.state.session_policy)


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


def create_app(
    queue_url: str,
    secret_key: str,
    *,
    secure_cookies: bool = False,
    lease: timedelta | None = None,
    engine: Engine | None = None,
    sessions: SessionPolicy | None = None,
    logins: LoginPolicy | None = None,
) -> FastAPI:
    """The console for the queue at ``queue_url``, signing cookies with ``secret_key``.

    ``secure_cookies``: the console is reached over HTTPS (directly or through a
    TLS-terminating proxy); cookies become ``Secure`` and ``__Host-`` prefixed
    and browsers are told to use HTTPS only (HSTS).
    """
    if len(secret_key) < 16:
        raise ValueError("the console's secret key must be at least 16 characters")
    app = FastAPI(
        title="hydrasweep review console", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.engine = queue = engine or open_queue(queue_url)
    app.state.templates = _templates()
    app.state.session_policy = sessions = sessions or SessionPolicy()
    app.state.login_policy = logins or LoginPolicy()
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SECURE_SESSION_COOKIE if secure_cookies else SESSION_COOKIE,
        # The cookie may outlive a session; the session row decides (review.auth).
        max_age=int(sessions.absolute.total_seconds()),
        same_site="lax",
        https_only=secure_cookies,
    )
    _add_security_headers(app, {**SECURITY_HEADERS, **(dict([HSTS]) if secure_cookies else {})})
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _add_error_pages(app)
    _add_pages(app, queue)
    _add_actions(app, queue, lease or ClaimPolicy().lease)
    return app


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
    )
    env.filters["inert"] = inert
    env.filters["tokens"] = lambda n: f"{int(n or 0):,}"
    env.globals.update(
        CaseStatus=CaseStatus,
        Outcome=Outcome,
        ACCOUNT_OUTCOMES=ACCOUNT_OUTCOMES,
        WORKING_STATUSES=WORKING_STATUSES,
    )
    return Jinja2Templates(env=env)


def _add_security_headers(app: FastAPI, headers: dict[str, str]) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except Exception:
            # Starlette's own last resort answers outside every middleware: a bare
            # 500 without these headers. This one stays inside them.
            log.exception("console error on %s %s", request.method, request.url.path)
            response = HTMLResponse(_INTERNAL_ERROR_PAGE, status_code=500)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return back_to(f"/login?next={quote(exc.next_path, safe='/')}")

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        user = getattr(request.state, "user", None) or _session_user(request)
        record_denial(
            _engine(request),
            user.name if user else "",
            exc.what,
            path=request.url.path,
            address=client_address(request),
        )
        return render(request, "error.html", 403, title="Forbidden", message=exc.message)

    @app.exception_handler(CaseNotFound)
    async def _not_found(request: Request, exc: CaseNotFound) -> Response:
        return render(request, "error.html", 404, title="Not found", message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        # An id out of range, a page that is not a number: the page does not exist.
        where = {str(error.get("loc", ("",))[0]) for error in exc.errors()}
        status = 404 if where == {"path"} else 400
        message = "No such page." if status == 404 else "The request was malformed."
        return render(request, "error.html", status, title="Not found", message=message)


def _add_pages(app: FastAPI, queue: Engine) -> None:
    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)  # no icon, and no 404 noise in browser logs

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", next=_safe_next(next))

    @app.post("/login", dependencies=CSRF_CHECKED)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        address = client_address(request)
        try:
            if not username or not password:
                raise LoginFailed()
            user = authenticate(
                queue,
                username,
                password,
                address=address,
                people_only=True,
                policy=request.app.state.login_policy,
            )
        except (LoginFailed, LoginThrottled) as exc:
            status = 429 if isinstance(exc, LoginThrottled) else 401
            flash(
                request, "error", "Unknown user or wrong password." if status == 401 else str(exc)
            )
            return render(request, "login.html", status, next=_safe_next(next))
        token = open_session(queue, user, address=address, policy=request.app.state.session_policy)
        request.session.clear()  # a fresh session (and CSRF token) for the new login
        request.session["sid"] = token
        request.session["csrf"] = secrets.token_urlsafe(32)
        return back_to(_safe_next(next))

    @app.post("/logout", dependencies=CSRF_CHECKED)
    def logout(request: Request) -> Response:
        token = request.session.get("sid")
        user = _session_user(request)
        if token:
            close_session(queue, token, actor=user.name if user else "")
        request.session.clear()
        return back_to("/login")

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        request: Request,
        user: CurrentUser,
        status: str = CaseFilter.ACTIVE,
        q: str = "",
        mine: bool = False,
        page: int = 1,
    ) -> HTMLResponse:
        if status not in tuple(CaseFilter):
            status = CaseFilter.ACTIVE
        page = min(max(1, page), MAX_PAGE)
        cases = list_cases(
            queue,
            status=status,
            search=q or None,
            claimed_by=user.name if mine else None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        return render(
            request,
            "queue.html",
            user=user,
            cases=cases[:PAGE_SIZE],
            has_more=len(cases) > PAGE_SIZE,
            page=page,
            counts=count_cases(queue),
            status=status,
            statuses=list(CaseFilter),
            q=q,
            mine=mine,
            top_priority=max((c.priority for c in cases), default=0.0) or 1.0,
            now=utcnow(),
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: CaseId, user: CurrentUser) -> HTMLResponse:
        detail = get_case(queue, case_id)
        now = utcnow()
        return render(
            request,
            "case.html",
            user=user,
            detail=detail,
            case=detail.case,
            **_claim_state(detail.case, user, now),
            timeline=timeline_svg(detail.evidence),
            reviewers=[u.name for u in list_users(queue) if u.is_person and not u.disabled]
            if user.is_lead
            else [],
            audit=read_audit(queue, case_id=case_id, limit=50) if user.is_lead else [],
            now=now,
        )

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request,
        user: Lead,
        case: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: int = 200,
    ) -> HTMLResponse:
        entries = read_audit(queue, case_id=case, limit=min(max(limit, 1), 1000))
        return render(request, "audit.html", user=user, entries=entries, case_filter=case)


def _add_actions(app: FastAPI, queue: Engine, lease: timedelta) -> None:
    """POST actions: CSRF-checked, then a redirect with a notice."""

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

    @app.post("/claim-next", dependencies=CSRF_CHECKED)
    def claim_next(request: Request, user: CurrentUser) -> Response:
        policy = ClaimPolicy(lease=lease, include_escalated=user.is_lead)
        claimed = claim_next_case(queue, user.name, policy=policy)
        if claimed is None:
            flash(request, "error", "No case is free to claim.")
            return back_to("/")
        flash(request, "ok", f"You claimed case {claimed.id}.")
        return back_to(f"/cases/{claimed.id}")

    @app.post("/cases/{case_id}/claim", dependencies=CSRF_CHECKED)
    def claim(request: Request, case_id: CaseId, user: CurrentUser) -> Response:
        policy = ClaimPolicy(lease=lease, include_escalated=user.is_lead)
        return act(
            request,
            case_id,
            lambda: f"You claimed case {claim_case(queue, case_id, user.name, policy=policy).id}.",
        )

    @app.post("/cases/{case_id}/release", dependencies=CSRF_CHECKED)
    def release(request: Request, case_id: CaseId, user: CurrentUser) -> Response:
        return act(
            request,
            case_id,
            lambda: f"Case {release_case(queue, case_id, user.name).id} is back in the queue.",
        )

    @app.post("/cases/{case_id}/decide", dependencies=CSRF_CHECKED)
    def decide(
        request: Request,
        case_id: CaseId,
        user: CurrentUser,
        outcome: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        members_version: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
        account: Annotated[list[str] | None, Form()] = None,
        account_outcome: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        per_account = {
            acc: value
            for acc, value in zip(account or [], account_outcome or [], strict=False)
            if value
        }

        def run() -> str:
            if members_version is None:
                raise InvalidDecision(
                    "the form did not say which accounts you saw: reload the case"
                )
            decision = decide_case(
                queue,
                case_id,
                reviewer=user.name,
                outcome=outcome,
                reason=reason,
                account_outcomes=per_account,
                members_version=members_version,
            )
            return f"Case {case_id} decided: {decision.outcome}."

        return act(request, case_id, run)

    @app.post("/cases/{case_id}/escalate", dependencies=CSRF_CHECKED)
    def escalate(
        request: Request, case_id: CaseId, user: CurrentUser, reason: Annotated[str, Form()] = ""
    ) -> Response:
        return act(
            request,
            case_id,
            lambda: (
                f"Case {escalate_case(queue, case_id, reviewer=user.name, reason=reason).id} "
                "escalated to the leads."
            ),
        )

    @app.post("/cases/{case_id}/comment", dependencies=CSRF_CHECKED)
    def comment(
        request: Request, case_id: CaseId, user: CurrentUser, text: Annotated[str, Form()] = ""
    ) -> Response:
        return act(
            request,
            case_id,
            lambda: f"Comment {add_comment(queue, case_id, author=user.name, text=text).id} added.",
        )

    @app.post("/cases/{case_id}/reassign", dependencies=CSRF_CHECKED)
    def reassign(
        request: Request,
        case_id: CaseId,
        user: Lead,
        to_reviewer: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
    ) -> Response:
        def run() -> str:
            target = get_user(queue, to_reviewer)
            if target is None or not target.is_person:
                raise ReviewError(f"no active console user {inert(to_reviewer)!r}")
            reassign_case(
                queue, case_id, to_reviewer=to_reviewer, actor=user.name, note=note, lease=lease
            )
            return f"Case {case_id} reassigned to {to_reviewer}."

        return act(request, case_id, run)


def _claim_state(case: CaseSummary, user: UserInfo, now: datetime) -> dict[str, bool]:
    """Whether ``user`` holds the case, may claim it, and whether its claim lapsed."""
    expired = case.claim_expires_at is not None and case.claim_expires_at <= now
    claimed = case.status == CaseStatus.CLAIMED
    mine = claimed and case.claimed_by == user.name
    can_claim = not mine and (
        case.status == CaseStatus.OPEN
        or (case.status == CaseStatus.ESCALATED and user.is_lead)
        or (claimed and expired and (user.is_lead or not case.escalated))
    )
    return {"mine": mine, "can_claim": can_claim, "expired": expired}


def _safe_next(target: str) -> str:
    """Only same-site paths after login: no ``//host`` or ``https://`` open redirects."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
