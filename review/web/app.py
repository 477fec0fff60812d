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

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

import jinja2
from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
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
)
from review.db import open_queue
from review.decisions import decide_case
from review.enforcement import ReleasePolicy, count_actions
from review.errors import CaseNotFound, ReviewError
from review.records import CaseSummary
from review.service import (
    ClaimPolicy,
    MemberQuery,
    add_comment,
    case_entities,
    claim_case,
    claim_next_case,
    count_cases,
    escalate_case,
    get_case,
    known_families,
    list_cases,
    read_audit,
    reassign_case,
    related_cases,
    release_case,
)
from review.tables import utcnow
from review.text import inert, link_in_words, reason_in_words
from review.users import UserInfo, get_user, list_users
from review.vocabulary import (
    ACCOUNT_OUTCOMES,
    WORKING_STATUSES,
    CaseFilter,
    CaseSort,
    CaseStatus,
    Outcome,
)
from review.web.casework import add_casework
from review.web.plots import activity_lanes_svg, cluster_svg, timeline_svg
from review.web.plumbing import (
    CSRF_CHECKED,
    MAX_ID,
    CaseId,
    CurrentUser,
    Forbidden,
    Lead,
    LoginRequired,
    act,
    back_to,
    client_address,
    engine_of,
    flash,
    render,
    session_user_of,
)

__all__ = ["create_app", "inert"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "hydrasweep_session"
SECURE_SESSION_COOKIE = "__Host-hydrasweep_session"  # Secure, Path=/, no Domain: only over TLS
PAGE_SIZE = 50
MEMBER_PAGE = 100
MAX_PAGE = 100_000
OUTCOME_COLOURS = {"abuse": "#b0413e", "legitimate": "#2e7d32"}

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


def create_app(
    queue_url: str,
    secret_key: str,
    *,
    secure_cookies: bool = False,
    lease: timedelta | None = None,
    engine: Engine | None = None,
    sessions: SessionPolicy | None = None,
    logins: LoginPolicy | None = None,
    release: ReleasePolicy | None = None,
    feature_descriptions: Mapping[str, str] | None = None,
) -> FastAPI:
    """The console for the queue at ``queue_url``, signing cookies with ``secret_key``.

    ``secure_cookies``: the console is reached over HTTPS (directly or through a
    TLS-terminating proxy); cookies become ``Secure`` and ``__Host-`` prefixed
    and browsers are told to use HTTPS only (HSTS). ``release``: when decided
    enforcement actions go out. ``feature_descriptions``: feature name ->
    description (the feature set's), so reasons read as words.
    """
    if len(secret_key) < 16:
        raise ValueError("the console's secret key must be at least 16 characters")
    app = FastAPI(
        title="hydrasweep review console", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.engine = queue = engine or open_queue(queue_url)
    app.state.templates = _templates(feature_descriptions or {})
    app.state.release_policy = release or ReleasePolicy()
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
    add_casework(app, queue, lease or ClaimPolicy().lease)
    return app


def _templates(descriptions: Mapping[str, str]) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
    )
    env.filters["inert"] = inert
    env.filters["tokens"] = lambda n: f"{int(n or 0):,}"
    env.filters["in_words"] = lambda reason: reason_in_words(reason, descriptions)
    env.filters["link_words"] = link_in_words
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
        user = getattr(request.state, "user", None) or session_user_of(request)
        record_denial(
            engine_of(request),
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
        user = session_user_of(request)
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
        sort: str = CaseSort.PRIORITY,
        model: str = "",
        family: str = "",
        min_accounts: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> HTMLResponse:
        status = status if status in tuple(CaseFilter) else CaseFilter.ACTIVE
        sort = sort if sort in tuple(CaseSort) else CaseSort.PRIORITY
        page = min(max(1, page), MAX_PAGE)
        cases = list_cases(
            queue,
            status=status,
            search=q or None,
            claimed_by=user.name if mine else None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
            sort=sort,
            model_version=model or None,
            family=family or None,
            min_accounts=min_accounts,
        )
        filters = {"status": status, "q": q, "mine": str(mine).lower(), "sort": sort,
                   "model": model, "family": family, "min_accounts": min_accounts or ""}  # fmt: skip
        return render(
            request,
            "queue.html",
            user=user,
            cases=cases[:PAGE_SIZE],
            has_more=len(cases) > PAGE_SIZE,
            page=page,
            counts=count_cases(queue),
            statuses=list(CaseFilter),
            sorts=list(CaseSort),
            families=known_families(queue),
            filters=filters,
            query_string=urlencode(filters),
            top_priority=max((c.priority for c in cases), default=0.0) or 1.0,
            now=utcnow(),
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(
        request: Request,
        case_id: CaseId,
        user: CurrentUser,
        page: int = 1,
        outcome: str = "",
        min_score: float | None = None,
        first_seen: str = "",
        entity: str = "",
        new: bool = False,
    ) -> HTMLResponse:
        page = min(max(1, page), MAX_PAGE)
        members = member_query(page, outcome, min_score, first_seen, entity)
        detail = get_case(queue, case_id, members=members)
        entities = case_entities(queue, case_id)
        if new and detail.case.claim_members_version is not None:
            members = replace(members, joined_after=detail.case.claim_members_version)
            detail = get_case(queue, case_id, members=members)
        now = utcnow()
        member_filters = {"outcome": outcome, "min_score": "" if min_score is None else min_score,
                          "first_seen": first_seen, "entity": entity, "new": str(new).lower()}  # fmt: skip
        return render(
            request,
            "case.html",
            user=user,
            detail=detail,
            case=detail.case,
            **_claim_state(detail.case, user, now),
            timeline=timeline_svg(detail.evidence),
            graph=cluster_svg(detail.members, entities, OUTCOME_COLOURS),
            lanes=activity_lanes_svg(detail.members),
            entities=entities,
            related=related_cases(queue, case_id),
            enforcement=count_actions(queue, case_id=case_id),
            member_page=page,
            member_pages=max(1, -(-detail.members_matching // MEMBER_PAGE)),
            member_filters=member_filters,
            member_query_string=urlencode(member_filters),
            per_account_choice=detail.case.accounts_count <= MEMBER_PAGE,
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

    def next_case(request: Request, user: UserInfo, nothing: tuple[str, str]) -> Response:
        """Claim the most urgent free case for ``user`` and go there (else back to the list)."""
        policy = ClaimPolicy(lease=lease, include_escalated=user.is_lead)
        claimed = claim_next_case(queue, user.name, policy=policy)
        if claimed is None:
            flash(request, *nothing)
            return back_to("/")
        flash(request, "ok", f"You claimed case {claimed.id}.")
        return back_to(f"/cases/{claimed.id}")

    @app.post("/claim-next", dependencies=CSRF_CHECKED)
    def claim_next(request: Request, user: CurrentUser) -> Response:
        return next_case(request, user, ("error", "No case is free to claim."))

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
        except_accounts: Annotated[str, Form()] = "",
        except_entity: Annotated[list[str] | None, Form()] = None,
        then_next: Annotated[bool, Form()] = False,
    ) -> Response:
        per_account = {
            acc: value
            for acc, value in zip(account or [], account_outcome or [], strict=False)
            if value
        }
        if members_version is None:
            flash(request, "error", "the form did not say which accounts you saw: reload the case")
            return back_to(f"/cases/{case_id}")
        try:
            decision = decide_case(
                queue,
                case_id,
                reviewer=user.name,
                outcome=outcome,
                reason=reason,
                account_outcomes=per_account,
                except_accounts=except_accounts.split(),
                except_entities=[split_entity(e) for e in except_entity or [] if e],
                members_version=members_version,
                release=request.app.state.release_policy,
            )
        except CaseNotFound:
            raise
        except ReviewError as exc:
            flash(request, "error", str(exc))
            return back_to(f"/cases/{case_id}")
        flash(request, "ok", f"Case {case_id} decided: {decision.outcome}.")
        if not then_next:
            return back_to(f"/cases/{case_id}")
        return next_case(request, user, ("ok", "No case is left to claim."))

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


def member_query(
    page: int, outcome: str, min_score: float | None, first_seen: str, entity: str
) -> MemberQuery:
    """The case page's member filters as a query (unreadable values are ignored)."""
    try:
        day = date.fromisoformat(first_seen) if first_seen else None
    except ValueError:
        day = None
    return MemberQuery(
        offset=(page - 1) * MEMBER_PAGE,
        limit=MEMBER_PAGE,
        outcome=Outcome(outcome) if outcome in ACCOUNT_OUTCOMES else None,
        undecided=outcome == "undecided",
        min_score=min_score,
        first_seen=day,
        entity=split_entity(entity) if entity else None,
    )


def split_entity(value: str) -> tuple[str, str]:
    """``type:value`` (the value may hold colons itself)."""
    kind, _, rest = value.partition(":")
    return kind, rest


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
