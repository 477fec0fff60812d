"""The pure ingest transforms: classification of raw lines and normalisation, as whole frames."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from pyspark.sql import Row
from pyspark.sql import functions as F

from features import ingest

DAY = date(2026, 11, 3)


def assert_rows(actual, expected: list[Row]) -> None:
    """Whole-frame equality, row order ignored (``assertDataFrameEqual`` needs pyspark.pandas,
    which does not import under pandas 3 here)."""
    assert sorted(actual.collect(), key=repr) == sorted(expected, key=repr)


def request(**fields) -> dict:
    record = {
        "request_id": "r-1",
        "ts": "2026-11-03T10:00:00Z",
        "account_id": "a-1",
        "api_key_id": "k-1",
        "org_id": None,
        "ip": "203.0.113.9",
        "asn": 64500,
        "country": "US",
        "user_agent": "curl/8.4.0",
        "model": "m",
        "input_tokens": 1,
        "output_tokens": 2,
        "latency_ms": 3,
        "status": 200,
        "system_prompt": None,
        "prompt": "p",
    }
    record.update(fields)
    return record


def lines_frame(spark, lines: list[str]):
    return spark.createDataFrame(
        [(line, "raw/requests/f.jsonl.gz") for line in lines], ingest.RAW_LINES_SCHEMA
    )


def test_request_lines_get_their_reasons(spark):
    lines = {
        json.dumps(request(request_id="ok")): None,
        json.dumps(request(request_id="s", input_tokens="7")): ["wrong_type:input_tokens"],
        json.dumps(request(request_id="f", latency_ms=1.5)): ["wrong_type:latency_ms"],
        json.dumps(request(request_id="", prompt=None)): [
            "missing_required:request_id",
            "missing_required:prompt",
        ],
        json.dumps(request(request_id="n", input_tokens=-1, output_tokens=-2)): [
            "negative_count:input_tokens",
            "negative_count:output_tokens",
        ],
        json.dumps(request(request_id="d", ts="2026-11-02T23:59:59.999Z")): ["ts_outside_day"],
        json.dumps(
            request(request_id="o", ts="2026-11-04T01:00:00+02:00")
        ): None,  # 23:00Z on the day
        json.dumps(request(request_id="x", ts="2026-11-03")): ["invalid_timestamp"],
        json.dumps(request(request_id="b", status=700)): ["invalid_value:status"],
        json.dumps(
            request(request_id="e", verified=True, extra={"k": 1})
        ): None,  # unknown fields ignored
        json.dumps(request(request_id="t")) + " trailing": ["unparseable"],
        '{"request_id": "half': ["unparseable"],
        "42": ["not_an_object"],
        "": ["blank_line"],
    }
    classified = ingest.parse_request_lines(lines_frame(spark, list(lines)), DAY)

    assert_rows(
        classified.select("reasons", "line"),
        [
            Row(reasons=reasons or [], line=line if reasons else None)
            for line, reasons in lines.items()
        ],
    )
    assert classified.where("reason is null").count() == 3


def test_typed_values_of_a_good_line(spark):
    line = json.dumps(request(ts="2026-11-03T13:45:12.123456+01:00", asn=None, status=429))
    row = ingest.parse_request_lines(lines_frame(spark, [line]), DAY).drop("reasons").collect()[0]

    assert row.asDict() == {
        **request(),
        "ts": datetime(2026, 11, 3, 12, 45, 12, 123456),
        "asn": None,
        "status": 429,
        "reason": None,
        "line": None,
        "source_file": None,
    }


def test_ip_prefixes_for_ipv4_and_ipv6(spark):
    cases = [
        ("203.0.113.9", "203.0.113.0/24", 4),
        ("::ffff:198.51.100.7", "198.51.100.0/24", 4),
        ("2001:DB8:0001:0002::17", "2001:db8:1::/48", 6),
        ("2001:db8::1", "2001:db8::/48", 6),
        ("2001:0:5:6:7:8:9:a", "2001:0:5::/48", 6),
        ("::1", "::/48", 6),
        ("fe80::1%eth0", "fe80::/48", 6),
        ("64:ff9b::192.0.2.1", "64:ff9b::/48", 6),
        ("256.1.1.1", None, None),
        ("1::2::3", None, None),
        ("2001:db8:a:b:c:d:e", None, None),
        ("not an ip", None, None),
    ]
    frame = spark.createDataFrame([(ip,) for ip, _, _ in cases], "ip string")

    assert_rows(
        ingest.with_ip_prefix(frame), [Row(ip=ip, ip_prefix=p, ip_version=v) for ip, p, v in cases]
    )


def test_user_agent_family_and_kind(spark):
    cases = [
        ("anthropic-python/0.40.0", "anthropic-python", "official_sdk"),
        ("Anthropic/Python 0.39.0", "anthropic-python", "official_sdk"),
        ("anthropic-typescript/0.30.1", "anthropic-typescript", "official_sdk"),
        ("OpenAI/Python 1.52.0", "openai-python", "official_sdk"),
        ("openai-node/4.20", "openai-node", "official_sdk"),
        ("python-requests/2.31.0", "python-requests", "http_client"),
        ("curl/8.4.0", "curl", "http_client"),
        ("Go-http-client/2.0", "go-http-client", "http_client"),
        ("Python/3.11 aiohttp/3.9.1", "aiohttp", "http_client"),
        ("python-httpx/0.27.0", "httpx", "http_client"),
        ("okhttp/4.12.0", "okhttp", "http_client"),
        ("node-fetch/1.0", "node-fetch", "http_client"),
        ("axios/1.6.2", "axios", "http_client"),
        ("Java-http-client/17.0.9", "java-http-client", "http_client"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15", "browser", "browser"),
        ("my-scraper/0.1", "other", "other"),
        (None, None, "missing"),
        ("  ", None, "missing"),
    ]
    frame = spark.createDataFrame([(ua,) for ua, _, _ in cases], "user_agent string")

    assert_rows(
        ingest.with_user_agent_kind(frame),
        [Row(user_agent=ua, ua_family=family, ua_kind=kind) for ua, family, kind in cases],
    )


def test_system_prompt_hash_and_curated_columns(spark):
    prompts = ["You are a helpful assistant.", "", None]
    lines = [
        json.dumps(request(request_id=f"r-{i}", system_prompt=p)) for i, p in enumerate(prompts)
    ]
    good = ingest.good_rows(ingest.parse_request_lines(lines_frame(spark, lines), DAY))
    curated = ingest.curate_requests(good)

    assert curated.columns == [f.name for f in ingest.CURATED_REQUESTS_SCHEMA.fields]
    assert_rows(
        curated.select("request_id", "system_prompt_hash", "ip_prefix", "ua_kind"),
        [
            Row(
                "r-0",
                hashlib.sha256(prompts[0].encode()).hexdigest(),
                "203.0.113.0/24",
                "http_client",
            ),
            Row("r-1", None, "203.0.113.0/24", "http_client"),
            Row("r-2", None, "203.0.113.0/24", "http_client"),
        ],
    )


def test_timestamps_with_offsets_and_fractions_become_utc_instants(spark):
    cases = [
        ("2026-11-03T13:45:12.123Z", datetime(2026, 11, 3, 13, 45, 12, 123000)),
        ("2026-11-03T13:45:12Z", datetime(2026, 11, 3, 13, 45, 12)),
        ("2026-11-03T13:45:12.5+02:00", datetime(2026, 11, 3, 11, 45, 12, 500000)),
        ("2026-11-03T01:00:00-0530", datetime(2026, 11, 3, 6, 30)),
        ("2026-11-03 13:45:12", datetime(2026, 11, 3, 13, 45, 12)),  # no offset: UTC by contract
        ("2026-11-03", None),
        ("yesterday", None),
    ]
    frame = spark.createDataFrame([(text,) for text, _ in cases], "ts string")

    assert_rows(
        frame.select("ts", ingest.utc_timestamp(F.col("ts")).alias("utc")),
        [Row(ts=text, utc=expected) for text, expected in cases],
    )


def test_duplicates_keep_the_same_copy_whatever_the_input_order(spark):
    rows = [("r-1", 10), ("r-1", 5), ("r-2", 7), ("r-1", 5)]
    forward = spark.createDataFrame(rows, "request_id string, output_tokens long")
    backward = spark.createDataFrame(list(reversed(rows)), "request_id string, output_tokens long")

    expected = [Row(request_id="r-1", output_tokens=5), Row(request_id="r-2", output_tokens=7)]
    assert_rows(ingest.drop_duplicate_requests(forward), expected)
    assert_rows(ingest.drop_duplicate_requests(backward.repartition(3)), expected)


def test_reason_names_never_hold_the_separator_they_are_joined_with():
    fields = {*ingest.REQUEST_FIELD_TYPES, *ingest.ACCOUNT_FIELD_TYPES}
    assert not any(ingest._REASON_SEPARATOR in name for name in fields)
    assert not any(ingest._REASON_SEPARATOR in kind for kind in ingest.REASON_KINDS)
