"""``hydrasweep queue ...`` through the real CLI entry point, output parsed as JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from review.db import open_queue
from tests.review.console import run_cli as run


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_list_claim_show_decide_as_json(cli_queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    q = ("--queue-url", cli_queue)
    listed = run_json(capsys, "queue", "list", *q)
    assert [(c["title"], c["status"], c["priority"]) for c in listed["cases"]] == [
        ("cluster c-1", "open", pytest.approx(7200.0)),
        ("account solo", "open", pytest.approx(70.0)),
    ]
    assert listed["counts"] == {"open": 2}

    claimed = run_json(capsys, "queue", "claim", "--reviewer", "ana", *q)
    case_id = claimed["case"]["id"]
    assert (claimed["case"]["title"], claimed["case"]["claimed_by"]) == ("cluster c-1", "ana")
    assert [m["account_id"] for m in claimed["members"]] == ["farm-00", "farm-01"]

    decided = run_json(
        capsys,
        "queue", "decide", str(case_id), "--reviewer", "ana", "--outcome", "mixed",
        "--reason", "farm-01 is a real customer",
        "--account", "farm-00=abuse", "--account", "farm-01=legitimate", *q,
    )  # fmt: skip
    assert decided["account_outcomes"] == {"farm-00": "abuse", "farm-01": "legitimate"}

    shown = run_json(capsys, "queue", "show", str(case_id), *q)
    assert (shown["case"]["status"], shown["case"]["outcome"]) == ("closed", "mixed")
    assert shown["decisions"][0]["reason"] == "farm-01 is a real customer"
    assert shown["evidence"][0]["sample_prompts"] == [
        "Solve step by step and show all reasoning: what is 17 * 23?"
    ]

    audit = run_json(capsys, "queue", "audit", "--reviewer", "lena", "--case", str(case_id), *q)
    assert [e["action"] for e in audit] == ["case.decided", "case.claimed", "case.created"]


def test_claim_with_nothing_free_exits_3(
    cli_queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    q = ("--queue-url", cli_queue)
    for reviewer in ("ana", "bea"):
        run_json(capsys, "queue", "claim", "--reviewer", reviewer, *q)
    code, out, _ = run(capsys, "queue", "claim", "--reviewer", "cy", "--format", "json", *q)
    assert code == 3
    assert json.loads(out) == {"case": None, "message": "no case is free to claim"}


def test_errors_are_one_line(cli_queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    q = ("--queue-url", cli_queue)
    code, _, err = run(capsys, "queue", "decide", "1", "--reviewer", "ana", "--outcome", "abuse",
                       "--reason", "x", *q)  # fmt: skip
    assert (code, err) == (1, "hydrasweep: error: case 1 is open, not claimed: claim it first\n")
    code, _, err = run(capsys, "queue", "show", "42", *q)
    assert (code, err) == (1, "hydrasweep: error: no case 42\n")
    code, _, err = run(capsys, "queue", "decide", "1", "--reviewer", "ana", "--outcome", "abuse",
                       "--reason", "x", "--account", "farm-00", *q)  # fmt: skip
    assert code == 1 and "expected ACCOUNT=abuse" in err


def test_export_jsonl_follows_the_contract(
    cli_queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "queue", "export", "--format", "jsonl", "--queue-url", cli_queue)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records == [
        {
            "account_id": "solo",
            "case_id": 1,
            "cluster_id": None,
            "score": 0.7,
            "sweep_date": "2026-11-01",
            "reasons": [{"feature": "output_tokens_sum_1d", "value": 100, "contribution": 0.4}],
        },
        *[
            {
                "account_id": f"farm-0{i}",
                "case_id": 2,
                "cluster_id": "c-1",
                "score": 0.9,
                "sweep_date": "2026-11-01",
                "reasons": [
                    {"feature": "output_tokens_sum_1d", "value": 4000, "contribution": 0.4}
                ],
            }
            for i in range(2)
        ],
    ]
    code, out, _ = run(capsys, "queue", "export", "--format", "json", "--date", "2026-11-02",
                       "--queue-url", cli_queue)  # fmt: skip
    assert (code, json.loads(out)) == (0, [])


def test_export_labels_to_the_lake(
    cli_queue: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = ("--queue-url", cli_queue)
    case_id = run_json(capsys, "queue", "claim", "--reviewer", "ana", *q)["case"]["id"]
    run_json(capsys, "queue", "decide", str(case_id), "--reviewer", "ana", "--outcome", "abuse",
             "--reason", "card farm", *q)  # fmt: skip
    lake = tmp_path / "lake"
    result = run_json(
        capsys, "queue", "export-labels", "--reviewer", "lena", "--lake", str(lake), *q
    )
    assert (result["labels"], result["abuse"]) == (2, 2)
    lines = (lake / "labels" / "review-decisions.jsonl").read_text().splitlines()
    assert [json.loads(line)["account_id"] for line in lines] == ["farm-00", "farm-01"]
    # The older spelling still runs the same export.
    (lake / "labels" / "review-decisions.jsonl").unlink()
    code, out, err = run(
        capsys, "queue", "export", "--labels", "--reviewer", "ana", "--lake", str(lake), *q
    )
    assert code == 0, err
    assert out.startswith("wrote 2 review labels (2 abuse, 0 legitimate)")
    assert (lake / "labels" / "review-decisions.jsonl").read_text().splitlines() == lines


def test_users_add_reads_the_password_from_stdin(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from review.auth import LoginFailed, authenticate

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-passphrase\n"))
    added = run_json(capsys, "queue", "users", "add", "lea", "--role", "lead", "--password-stdin",
                     "--queue-url", cli_queue)  # fmt: skip
    assert added == {"name": "lea", "role": "lead"}
    assert {"name": "lea", "role": "lead", "disabled": False} in run_json(
        capsys, "queue", "users", "list", "--queue-url", cli_queue
    )
    engine = open_queue(cli_queue)
    assert authenticate(engine, "lea", "s3cret-passphrase", address="test").name == "lea"
    with pytest.raises(LoginFailed):
        authenticate(engine, "lea", "wrong", address="test")
    engine.dispose()
    code, _, err = run(capsys, "queue", "users", "add", "bob", "--password", "short-password",
                       "--queue-url", cli_queue)  # fmt: skip
    assert code == 1 and "at least 15 characters" in err


def test_queue_url_comes_from_the_environment(
    cli_queue: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYDRASWEEP_QUEUE_URL", cli_queue)
    assert len(run_json(capsys, "queue", "list")["cases"]) == 2


def test_every_queue_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ["list", "show", "claim", "decide", "escalate", "comment", "release"]
    commands += ["reassign", "audit", "export", "export-labels", "migrate", "users add"]
    commands += ["users disable", "users enable", "users list"]
    for command in commands:
        code, out, _ = run(capsys, "queue", *command.split(), "--help")
        assert code == 0 and "--format" in out, command
    code, out, _ = run(capsys, "queue", "serve", "--help")
    assert code == 0 and "--port" in out
