"""Helpers for driving the console over HTTP (Starlette's TestClient) and the CLI in-process."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.review.conftest import PASSWORD

SECRET = "test-secret-key-0123456789abcdef"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(app: object, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    """A client logged in as ``name``, and the CSRF token of its session."""
    client = TestClient(app)  # type: ignore[arg-type]
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 200 and f"{name} (" in response.text, response.text[-500:]
    return client, csrf_token(response.text)


def members_version(html: str) -> str:
    match = re.search(r'name="members_version" value="(\d+)"', html)
    assert match, "the decide form does not say which members it shows"
    return match.group(1)


def flashes(html: str) -> list[str]:
    return re.findall(r'class="flash \w+"[^>]*>([^<]*)<', html)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``hydrasweep`` with ``argv`` in this process: exit code, stdout, stderr."""
    from flows.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
