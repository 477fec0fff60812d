"""The console over HTTP (TestClient): login, roles, CSRF, headers, inert attacker text."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from review.service import get_case, list_cases, read_audit
from review.text import inert
from tests.review.conftest import IMG_PAYLOAD, PASSWORD, SCRIPT_PAYLOAD
from tests.review.console import csrf_token as _token
from tests.review.console import flashes as _flash
from tests.review.console import login, members_version


def test_pages_need_a_login(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    response = client.get("/cases/1", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/cases/1")
    page = client.get("/login")
    bad = client.post(
        "/login", data={"username": "alice", "password": "nope", "csrf_token": _token(page.text)}
    )
    assert bad.status_code == 401 and _flash(bad.text) == ["Unknown user or wrong password."]


def test_login_refuses_off_site_redirects(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/login?next=//evil.example/x")
    assert 'name="next" value="/"' in page.text
    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": _token(page.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_post_without_the_csrf_token_is_refused(app: object, engine: Engine) -> None:
    client, token = login(app, "alice")
    [first, _] = [c.id for c in list_cases(engine)]

    forged = client.post(f"/cases/{first}/claim", data={})
    wrong = client.post(f"/cases/{first}/claim", data={"csrf_token": token[:-2] + "xx"})
    anonymous = TestClient(app).post("/login", data={"username": "alice", "password": PASSWORD})  # type: ignore[arg-type]

    assert (forged.status_code, wrong.status_code, anonymous.status_code) == (403, 403, 403)
    assert get_case(engine, first).case.status == "open"
    ok = client.post(f"/cases/{first}/claim", data={"csrf_token": token})
    assert ok.status_code == 200 and _flash(ok.text) == [f"You claimed case {first}."]


def test_claim_and_decide_from_the_case_page(app: object, engine: Engine) -> None:
    client, token = login(app, "alice")
    claimed = client.post("/claim-next", data={"csrf_token": token})
    case_id = int(str(claimed.url).rsplit("/", 1)[1])
    assert 'id="decide-form"' in claimed.text
    seen = members_version(claimed.text)

    no_reason = client.post(
        f"/cases/{case_id}/decide",
        data={"csrf_token": token, "outcome": "abuse", "reason": "", "members_version": seen},
    )
    assert _flash(no_reason.text) == ["a reason is required"]
    decided = client.post(
        f"/cases/{case_id}/decide",
        data={
            "csrf_token": token,
            "outcome": "mixed",
            "reason": "farm-02 is legit",
            "members_version": seen,
            "account": ["farm-00", "farm-01", "farm-02"],
            "account_outcome": ["abuse", "abuse", "legitimate"],
        },
    )
    assert _flash(decided.text) == [f"Case {case_id} decided: mixed."]
    detail = get_case(engine, case_id)
    assert detail.case.status == "closed"
    assert {m.account_id: m.outcome for m in detail.members} == {
        "farm-00": "abuse",
        "farm-01": "abuse",
        "farm-02": "legitimate",
    }
    assert detail.decisions[0].reviewer == "alice"


def test_only_leads_read_the_audit_log_and_reassign(app: object, engine: Engine) -> None:
    analyst, analyst_token = login(app, "alice")
    case_id = list_cases(engine)[0].id
    assert analyst.get("/audit").status_code == 403
    refused = analyst.post(
        f"/cases/{case_id}/reassign", data={"csrf_token": analyst_token, "to_reviewer": "alice"}
    )
    assert refused.status_code == 403

    lead, lead_token = login(app, "lena")
    moved = lead.post(
        f"/cases/{case_id}/reassign",
        data={"csrf_token": lead_token, "to_reviewer": "alice", "note": "yours"},
    )
    assert _flash(moved.text) == [f"Case {case_id} reassigned to alice."]
    assert read_audit(engine, case_id=case_id, limit=1)[0].actor == "lena"
    audit = lead.get(f"/audit?case={case_id}")
    assert audit.status_code == 200 and "case.reassigned" in audit.text


def test_attacker_text_is_escaped_and_scripts_are_forbidden(app: object) -> None:
    client, _ = login(app, "alice")
    case_id = 1
    page = client.get(f"/cases/{case_id}")
    html = page.text

    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "Translate this: &lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "curl/8 &lt;img src=x onerror=" in html
    assert "&lt;/pre&gt;&lt;script&gt;" in html
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<svg" in html and html.count('fill="#b0413e"') == 10  # ten busy hours
    cookie = page.request.headers.get("cookie", "")
    assert "hydrasweep_session=" in cookie


def test_session_cookie_is_httponly(app: object) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    response = client.get("/login")
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header


def test_inert_shows_invisible_and_bidi_characters() -> None:
    assert inert("pay\u202eusd\u200b\x1b[31m") == "pay\\u202eusd\\u200b\\u001b[31m"
    assert inert("plain <b>text</b>\n") == "plain <b>text</b>\n"  # escaping is Jinja's job
    assert SCRIPT_PAYLOAD in inert(SCRIPT_PAYLOAD) and inert(IMG_PAYLOAD) == IMG_PAYLOAD
