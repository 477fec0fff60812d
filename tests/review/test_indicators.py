"""Indicator sharing: a confirmed campaign's entities out as STIX 2.1 (no raw payment data or
prompt text), a partner's bundle into the lake's indicators/ table, matched on keyed hashes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import stix2
from sqlalchemy.engine import Engine

from lakeio import open_store
from review.decisions import decide_case
from review.errors import ReviewError
from review.indicators import export_bundle, import_bundle, keyed_hash
from review.landing import land_sweep
from review.service import claim_case, list_cases, read_audit
from review.vocabulary import AuditAction
from tests.review.builders import account, landing
from tests.review.conftest import PASSWORD, T0

KEY = b"shared-between-the-two-labs"
D1 = date(2026, 11, 1)
SYSTEM_PROMPT = "You are a grader. Score the answer from 1 to 10."


def _links(i: int) -> list[dict[str, str]]:
    return [
        {"type": "payment_fingerprint", "value": "pf-raw-card-4242" if i < 3 else "pf-lab"},
        {"type": "ip_prefix", "value": "198.51.100.0/24"},
        {"type": "ip", "value": f"203.0.113.{i}"},
        {"type": "asn", "value": "64500"},
        {"type": "email_domain", "value": "mailinator.example"},
        {"type": "user_agent", "value": "curl/8 secret-token"},  # never shared
    ]


@pytest.fixture
def confirmed(queue: Engine) -> Engine:
    """A campaign of four accounts, decided abuse but for farm-3, a lab on its own card."""
    farm = [replace(account(f"farm-{i}", "c-1"), links=_links(i)) for i in range(4)]
    land_sweep(queue, landing(D1, {"c-1": farm}, system_prompts=[SYSTEM_PROMPT]), intake_cap=5,
               now=T0)  # fmt: skip
    [case] = list_cases(queue)
    claim_case(queue, case.id, "lena", now=T0)
    decide_case(queue, case.id, reviewer="lena", outcome="abuse", reason="farm",
                except_accounts=["farm-3"], now=T0)  # fmt: skip
    return queue


def _patterns(bundle: str) -> list[str]:
    parsed = stix2.parse(bundle, allow_custom=True)
    return sorted(o.pattern for o in parsed.objects if o.type == "indicator")


def test_export_shares_indicators_never_raw_payment_or_prompt_text(confirmed: Engine) -> None:
    exported = export_bundle(confirmed, sharing_key=KEY, producer="Example AI", actor="lena")

    card = keyed_hash(KEY, "payment_fingerprint", "pf-raw-card-4242")
    prompt = keyed_hash(
        KEY, "system_prompt_hash", hashlib.sha256(SYSTEM_PROMPT.encode()).hexdigest()
    )
    # The prefix, ASN and domain also linked farm-3, found legitimate: not shared.
    assert _patterns(exported.bundle) == sorted(
        [
            f"[x-hydrasweep-payment:keyed_hash = '{card}']",
            f"[x-hydrasweep-system-prompt:keyed_hash = '{prompt}']",
            "[ipv4-addr:value = '203.0.113.0']",
            "[ipv4-addr:value = '203.0.113.1']",
            "[ipv4-addr:value = '203.0.113.2']",
        ]
    )
    assert (exported.campaigns, exported.indicators) == (1, 5)
    for secret in ("pf-raw-card-4242", "pf-lab", SYSTEM_PROMPT, "farm-0", "curl/8", "secret-token"):
        assert secret not in exported.bundle
    parsed = stix2.parse(exported.bundle, allow_custom=True)
    kinds = {o.type for o in parsed.objects}
    assert kinds == {"identity", "marking-definition", "campaign", "indicator", "relationship"}
    indicators = [o for o in parsed.objects if o.type == "indicator"]
    assert all(o.object_marking_refs == [stix2.TLP_AMBER.id] for o in indicators)
    entry = read_audit(confirmed, limit=1)[0]
    assert (entry.action, entry.detail) == (
        AuditAction.EXPORT_INDICATORS, {"campaigns": 1, "indicators": 5, "tlp": "amber"},
    )  # fmt: skip


def test_a_partners_bundle_lands_in_the_lake_and_matches_the_same_accounts(
    confirmed: Engine, tmp_path: Path
) -> None:
    bundle = export_bundle(confirmed, sharing_key=KEY, producer="Lab A", actor="lena").bundle
    store = open_store(str(tmp_path / "fresh-lake"))

    result = import_bundle(store, bundle, source="Lab A")
    again = import_bundle(store, bundle, source="Lab A")  # the same bundle twice: one file

    assert result.key.startswith("indicators/source=lab-a/bundle--") and result.skipped == {}
    assert (result.indicators, again.key) == (5, result.key)
    rows = [json.loads(line) for line in store.read_bytes(result.key).decode().splitlines()]
    assert {r["tlp"] for r in rows} == {"TLP:AMBER"}
    # The feature side's join: hash our own entities with the same key, link who matches.
    shared = {(r["entity_type"], r["value"]) for r in rows}
    matched = {
        f"farm-{i}"
        for i in range(4)
        for link in _links(i)
        if (link["type"], keyed_hash(KEY, link["type"], link["value"])) in shared
        or (link["type"], link["value"]) in shared
    }
    assert matched == {"farm-0", "farm-1", "farm-2"}


def test_what_cannot_be_read_is_counted_not_dropped(tmp_path: Path) -> None:
    odd = stix2.Indicator(
        pattern="[url:value = 'http://x'] AND [url:value = 'http://y']",
        pattern_type="stix",
        valid_from="2026-11-01T00:00:00Z",
    )
    ip = stix2.Indicator(
        pattern="[ipv6-addr:value ISSUBSET '2001:db8::/32']",
        pattern_type="stix",
        valid_from="2026-11-01T00:00:00Z",
    )
    bundle = stix2.Bundle(odd, ip).serialize()
    result = import_bundle(open_store(str(tmp_path)), bundle, source="partner")
    assert result.indicators == 1
    assert result.skipped == {
        "a pattern other than one comparison of an address, ASN, domain or keyed hash": 1
    }
    with pytest.raises(ReviewError, match="not a STIX 2.1 bundle"):
        import_bundle(open_store(str(tmp_path)), "{}", source="partner")


def test_the_cli_exports_and_imports(
    confirmed: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from review.users import add_user
    from tests.review.console import run_cli

    add_user(confirmed, "lena", role="lead", password=PASSWORD)
    monkeypatch.setenv("HYDRASWEEP_QUEUE_PASSWORD", PASSWORD)
    url = confirmed.url.render_as_string(hide_password=False)
    key = tmp_path / "sharing.key"
    key.write_bytes(KEY)
    out_file = tmp_path / "bundle.json"
    q = ("--reviewer", "lena", "--queue-url", url)
    code, out, err = run_cli(capsys, "queue", "indicators", "export", "--sharing-key-file",
                             str(key), "--producer", "Lab A", "--out", str(out_file), *q)  # fmt: skip
    assert code == 0 and out.startswith("wrote 5 indicators of 1 campaigns"), err
    code, out, err = run_cli(capsys, "queue", "indicators", "import", str(out_file), "--source",
                             "lab-a", "--lake", str(tmp_path / "lake"), *q)  # fmt: skip
    assert code == 0 and out.startswith("wrote 5 indicators to indicators/source=lab-a/"), err


def test_revoked_and_expired_indicators_name_nothing(tmp_path: Path) -> None:
    from lakeio.indicators import read_indicators

    def ip(address: str, **kwargs) -> stix2.Indicator:
        return stix2.Indicator(
            pattern=f"[ipv4-addr:value = '{address}']",
            pattern_type="stix",
            valid_from="2026-11-01T00:00:00Z",
            **kwargs,
        )

    domain = stix2.Indicator(
        pattern="[domain-name:value = 'Farm.Example']",
        pattern_type="stix",
        valid_from="2026-11-01T00:00:00Z",
    )
    bundle = stix2.Bundle(
        ip("203.0.113.1"),
        ip("203.0.113.2", revoked=True),
        ip("203.0.113.3", valid_until="2026-11-05T00:00:00Z"),
        domain,
    ).serialize()
    store = open_store(str(tmp_path))
    result = import_bundle(store, bundle, source="partner")
    assert (result.indicators, result.skipped) == (3, {"revoked by its producer": 1})

    def valid_on(day: date) -> list[str]:
        indicators, unreadable = read_indicators(store, day)
        assert unreadable == 0
        return sorted(i.value for i in indicators)

    assert valid_on(date(2026, 10, 31)) == []
    assert valid_on(date(2026, 11, 5)) == ["203.0.113.1", "203.0.113.3", "farm.example"]
    assert valid_on(date(2026, 11, 6)) == ["203.0.113.1", "farm.example"]
