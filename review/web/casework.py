"""Console pages for work at scale: case exports, bulk actions, and the enforcement outbox.

A case's members export as CSV or JSON (audited; cells a spreadsheet would
run as a formula are quoted). Leads close or assign many cases from the list,
and anyone escalates; each case is done on its own and refusals are listed.
Leads see the enforcement outbox (dead letters to retry) and can undo a case's
enforcement, which cancels what was not sent and sends an undo for the rest.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine

import review.web.plumbing as web
from review.decisions import BulkResult, bulk_assign, bulk_close, bulk_escalate
from review.enforcement import count_actions, list_actions, retry_dead, undo_enforcement
from review.exports import members_csv
from review.service import case_members_export
from review.vocabulary import DeliveryStatus, Outcome


def add_casework(app: FastAPI, queue: Engine, lease: timedelta) -> None:
    _add_exports(app, queue)
    _add_bulk(app, queue, lease)
    _add_enforcement(app, queue)


def _add_exports(app: FastAPI, queue: Engine) -> None:
    @app.get("/cases/{case_id}/members.{kind}")
    def export_members(case_id: web.CaseId, kind: str, user: web.CurrentUser) -> Response:
        if kind not in ("csv", "json"):
            return Response(status_code=404)
        rows = case_members_export(queue, case_id, actor=user.name, what=kind)
        disposition = {"Content-Disposition": f'attachment; filename="case-{case_id}.{kind}"'}
        if kind == "json":
            body = json.dumps(rows, sort_keys=True, default=str)
            return Response(body, media_type="application/json", headers=disposition)
        return Response(members_csv(rows), media_type="text/csv", headers=disposition)


def _add_bulk(app: FastAPI, queue: Engine, lease: timedelta) -> None:
    @app.post("/cases/bulk", dependencies=web.CSRF_CHECKED)
    def bulk(
        request: Request,
        user: web.CurrentUser,
        action: Annotated[str, Form()] = "",
        case: Annotated[list[str] | None, Form()] = None,
        reason: Annotated[str, Form()] = "",
        to_reviewer: Annotated[str, Form()] = "",
    ) -> Response:
        seen = _case_versions(case or [])
        if not seen:
            web.flash(request, "error", "Tick the cases first.")
            return web.back_to("/")
        if action != "escalate" and not user.is_lead:
            raise web.Forbidden(
                "Only leads can close or assign cases in bulk.", what="bulk " + action
            )
        if action in ("close-abuse", "close-legitimate"):
            outcome = Outcome.ABUSE if action == "close-abuse" else Outcome.LEGITIMATE
            release = request.app.state.release_policy
            result = bulk_close(
                queue, seen, lead=user.name, outcome=outcome, reason=reason, release=release
            )
        elif action == "escalate":
            result = bulk_escalate(queue, seen, actor=user.name, reason=reason)
        elif action == "assign":
            result = bulk_assign(
                queue, seen, lead=user.name, to_reviewer=to_reviewer.strip(), lease=lease
            )
        else:
            web.flash(request, "error", "Choose what to do with the ticked cases.")
            return web.back_to("/")
        _report(request, action, result)
        return web.back_to("/")


def _case_versions(values: list[str]) -> dict[int, int]:
    """Ticked cases as ``id:members_version`` values (malformed ones are skipped)."""
    seen: dict[int, int] = {}
    for value in values:
        case_id, _, version = value.partition(":")
        if case_id.isdigit() and version.isdigit() and int(case_id) <= web.MAX_ID:
            seen[int(case_id)] = min(int(version), web.MAX_ID)
    return seen


def _report(request: Request, action: str, result: BulkResult) -> None:
    if result.done:
        cases = ", ".join(f"#{c}" for c in result.done)
        web.flash(request, "ok", f"{action}: {len(result.done)} case(s) done ({cases}).")
    for case_id, why in result.refused.items():
        web.flash(request, "error", f"#{case_id}: {why}")


def _add_enforcement(app: FastAPI, queue: Engine) -> None:
    @app.get("/enforcement", response_class=HTMLResponse)
    def enforcement_page(
        request: Request, user: web.Lead, status: str = DeliveryStatus.DEAD
    ) -> HTMLResponse:
        chosen = DeliveryStatus(status) if status in tuple(DeliveryStatus) else DeliveryStatus.DEAD
        return web.render(
            request,
            "enforcement.html",
            user=user,
            counts=count_actions(queue),
            statuses=list(DeliveryStatus),
            status=chosen,
            actions=list_actions(queue, status=chosen, limit=500),
        )

    @app.post("/enforcement/retry", dependencies=web.CSRF_CHECKED)
    def retry(
        request: Request, user: web.Lead, action: Annotated[list[int] | None, Form()] = None
    ) -> Response:
        ids = [a for a in action or [] if 0 < a <= web.MAX_ID]
        retried = retry_dead(queue, ids, actor=user.name)
        web.flash(request, "ok", f"{retried} dead action(s) will be tried again now.")
        return web.back_to("/enforcement")

    @app.post("/cases/{case_id}/undo-enforcement", dependencies=web.CSRF_CHECKED)
    def undo(
        request: Request, case_id: web.CaseId, user: web.Lead, reason: Annotated[str, Form()] = ""
    ) -> Response:
        def run() -> str:
            done = undo_enforcement(queue, case_id, actor=user.name, reason=reason)
            return (
                f"Enforcement of case {case_id} undone: {done.cancelled} action(s) cancelled "
                f"before sending, {done.undone} undo(s) on their way."
            )

        return web.act(request, case_id, run)
