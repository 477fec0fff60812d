"""Pure transforms that turn the producers' raw JSON lines into curated rows.

The ingest job reads each raw line as text (with the lake key of its file) and
hands it here: ``parse_request_lines`` / ``parse_account_lines`` parse every
line with an explicit schema, keep malformed lines in the corrupt-record column
and give each line the list of contract rules it breaks (``reasons``; empty
for a good line). ``curate_requests`` / ``curate_accounts`` normalise the good
lines into the curated schemas (UTC timestamps, IP prefixes, user-agent family
and kind, system-prompt hashes), ``drop_duplicate_*`` keeps one row per key
deterministically, and ``quarantine_rows`` states what is set aside. No I/O,
no settings: plain DataFrames and values in, DataFrames out.

Every contract field is read as a Spark VARIANT rather than a string so that
the JSON token type survives the parse: with a string schema ``"12"`` and
``12`` read back identically, and a wrong type could not be named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from features.schemas import (
    ACCOUNT_FIELDS,
    ACCOUNT_REQUIRED,
    ACCOUNT_TIERS,
    CORRUPT_RECORD_COLUMN,
    CURATED_ACCOUNTS_SCHEMA,
    CURATED_REQUESTS_SCHEMA,
    REQUEST_FIELDS,
    REQUEST_INTEGER_FIELDS,
    REQUEST_NON_NEGATIVE,
    REQUEST_REQUIRED,
)

# --- raw input ----------------------------------------------------------------
LINE_COLUMN = "line"
SOURCE_FILE_COLUMN = "source_file"
REASONS_COLUMN = "reasons"
REASON_COLUMN = "reason"

RAW_LINES_SCHEMA = T.StructType(
    [
        T.StructField(LINE_COLUMN, T.StringType(), True),
        T.StructField(SOURCE_FILE_COLUMN, T.StringType(), True),
    ]
)

# One row per bad line: what was set aside, from where, and why.
QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField(SOURCE_FILE_COLUMN, T.StringType(), True),
        T.StructField(LINE_COLUMN, T.StringType(), True),
        # the first broken rule, by the order of REASON_KINDS; the one counted
        T.StructField(REASON_COLUMN, T.StringType(), False),
        # every broken rule of the line
        T.StructField(REASONS_COLUMN, T.ArrayType(T.StringType(), False), False),
    ]
)

# Reason kinds, in the order a line's first reason is chosen. Field-level kinds
# carry the field after a colon, e.g. "wrong_type:input_tokens".
REASON_KINDS: tuple[str, ...] = (
    "blank_line",
    "unparseable",
    "not_an_object",
    "missing_required",
    "wrong_type",
    "invalid_timestamp",
    "ts_outside_day",
    "negative_count",
    "invalid_value",
)

# JSON token types a field may carry, as named by ``schema_of_variant``.
_STRING = ("STRING",)
_INTEGER = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_BOOLEAN = ("BOOLEAN",)
_JSON_NULL = "VOID"

REQUEST_FIELD_TYPES: dict[str, tuple[str, ...]] = {
    name: _INTEGER if name in REQUEST_INTEGER_FIELDS else _STRING for name in REQUEST_FIELDS
}
ACCOUNT_FIELD_TYPES: dict[str, tuple[str, ...]] = {
    name: _BOOLEAN if name == "verified" else _STRING for name in ACCOUNT_FIELDS
}

HTTP_STATUS_RANGE = (100, 599)


def variant_read_schema(fields: tuple[str, ...]) -> T.StructType:
    """The explicit read schema: every contract field as VARIANT, plus the corrupt-record column."""
    return T.StructType(
        [T.StructField(name, T.VariantType(), True) for name in fields]
        + [T.StructField(CORRUPT_RECORD_COLUMN, T.StringType(), True)]
    )


REQUEST_READ_SCHEMA = variant_read_schema(REQUEST_FIELDS)
ACCOUNT_READ_SCHEMA = variant_read_schema(ACCOUNT_FIELDS)

_JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD_COLUMN}


# --- column expressions ---------------------------------------------------------
def is_blank(text: Column) -> Column:
    """Null, empty or whitespace only."""
    return text.isNull() | (F.trim(text) == "")


def utc_timestamp(text: Column) -> Column:
    """ISO-8601 text -> TimestampType instant; null when it is not a date *and* time.

    A string without an offset is UTC by the contract, so a ``Z`` is appended
    before the cast: the result must not depend on the session time zone.
    Date-only values are rejected; a request time needs a time of day.
    """
    trimmed = F.trim(text)
    has_time = trimmed.rlike(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
    has_offset = trimmed.rlike(r"(?i)(z|[+-]\d{2}:?\d{2})$")
    with_offset = F.when(has_offset, trimmed).otherwise(F.concat(trimmed, F.lit("Z")))
    return F.when(has_time, with_offset.try_cast(T.TimestampType()))


def utc_day_bounds(day: date) -> tuple[Column, Column]:
    """[start, end) of a UTC day as timestamp literals independent of the session time zone."""
    start = F.lit(f"{day.isoformat()}T00:00:00Z").cast(T.TimestampType())
    end = F.lit(f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z").cast(T.TimestampType())
    return start, end


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_IPV4_MAPPED = rf"^::ffff:({_IPV4})$"
_HEXTET = r"^[0-9a-f]{1,4}$"


def _no_groups() -> Column:
    return F.array().cast("array<string>")


def _hextet_groups(text: Column) -> Column:
    return F.when(text == "", _no_groups()).otherwise(F.split(text, ":", -1))


def with_ip_prefix(df: DataFrame, ip: str = "ip") -> DataFrame:
    """Add ``ip_prefix`` and ``ip_version``: /24 for IPv4, /48 for IPv6, nulls when unreadable.

    IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``) are the IPv4 client they
    carry; a zone index (``fe80::1%eth0``) is ignored. The IPv6 prefix is in
    RFC 5952 form (lowercase, no leading zeros, trailing zero hextets as
    ``::``). Built in steps of ``withColumn`` so each intermediate value is
    computed once (inlined, the expression outgrows Java's 64 KB method limit).
    """
    text = F.lower(F.regexp_replace(F.trim(F.col(ip)), "%.*$", ""))
    staged = (
        df.withColumn("_ip_text", text)
        .withColumn(
            "_ipv4",
            F.when(F.col("_ip_text").rlike(rf"^{_IPV4}$"), F.col("_ip_text")).when(
                F.col("_ip_text").rlike(_IPV4_MAPPED),
                F.regexp_extract(F.col("_ip_text"), _IPV4_MAPPED, 1),
            ),
        )
        .withColumn(
            "_v6_halves",
            F.when(
                F.col("_ipv4").isNull() & F.col("_ip_text").contains(":"),
                F.split(F.col("_ip_text"), "::", -1),
            ),
        )
        .withColumn("_v6_compressed", F.size(F.col("_v6_halves")) == 2)
        .withColumn(
            "_v6_head",
            F.when(
                F.col("_v6_compressed"), _hextet_groups(F.get(F.col("_v6_halves"), 0))
            ).otherwise(F.split(F.col("_ip_text"), ":", -1)),
        )
        .withColumn(
            "_v6_tail",
            F.when(
                F.col("_v6_compressed"), _hextet_groups(F.get(F.col("_v6_halves"), 1))
            ).otherwise(_no_groups()),
        )
        .withColumn("_v6_explicit", F.concat(F.col("_v6_head"), F.col("_v6_tail")))
        # An embedded IPv4 (``64:ff9b::1.2.3.4``) fills the last two hextets.
        .withColumn(
            "_v6_embeds_ipv4",
            F.coalesce(
                F.try_element_at(F.col("_v6_explicit"), F.lit(-1)).rlike(rf"^{_IPV4}$"),
                F.lit(False),
            ),
        )
        .withColumn(
            "_v6_width", F.size(F.col("_v6_explicit")) + F.col("_v6_embeds_ipv4").cast("int")
        )
        .withColumn(
            "_v6_valid",
            (F.size(F.col("_v6_halves")) <= 2)
            & F.forall(
                F.when(
                    F.col("_v6_embeds_ipv4"),
                    F.slice(F.col("_v6_explicit"), 1, F.size(F.col("_v6_explicit")) - 1),
                ).otherwise(F.col("_v6_explicit")),
                lambda group: group.rlike(_HEXTET),
            )
            & F.when(F.col("_v6_compressed"), F.col("_v6_width") <= 7).otherwise(
                F.col("_v6_width") == 8
            ),
        )
        .withColumn(
            "_v6_first",
            F.transform(
                F.slice(
                    F.concat(
                        F.col("_v6_head"),
                        F.array_repeat(F.lit("0"), F.greatest(8 - F.col("_v6_width"), F.lit(0))),
                        F.col("_v6_tail"),
                    ),
                    1,
                    3,
                ),
                lambda group: F.lower(F.conv(group, 16, 16)),
            ),
        )
    )
    g1, g2, g3 = (F.get(F.col("_v6_first"), i) for i in range(3))
    v6_network = (
        F.when(g3 != "0", F.concat_ws(":", g1, g2, g3))
        .when(g2 != "0", F.concat_ws(":", g1, g2))
        .when(g1 != "0", g1)
        .otherwise(F.lit(""))
    )
    octets = F.split(F.col("_ipv4"), r"\.")
    v4_network = F.concat_ws(".", F.get(octets, 0), F.get(octets, 1), F.get(octets, 2), F.lit("0"))
    is_v6 = F.coalesce(F.col("_v6_valid"), F.lit(False))
    return (
        staged.withColumn(
            "ip_prefix",
            F.when(F.col("_ipv4").isNotNull(), F.concat(v4_network, F.lit("/24"))).when(
                is_v6, F.concat(v6_network, F.lit("::/48"))
            ),
        )
        .withColumn(
            "ip_version",
            F.when(F.col("_ipv4").isNotNull(), F.lit(4))
            .when(is_v6, F.lit(6))
            .cast(T.IntegerType()),
        )
        .drop(*[name for name in staged.columns if name.startswith(("_ip", "_v6"))])
    )


@dataclass(frozen=True)
class UserAgentFamily:
    """A client family recognised by a (Java) regular expression on the User-Agent header."""

    family: str
    kind: str
    pattern: str


# First match wins: SDKs before generic HTTP clients (an SDK string may name the
# HTTP library it is built on), HTTP clients before browsers (scripts sometimes
# prepend "Mozilla/5.0 (compatible; ...)").
USER_AGENT_FAMILIES: tuple[UserAgentFamily, ...] = (
    UserAgentFamily("anthropic-python", "official_sdk", r"(?i)anthropic[-_/ ]?python"),
    UserAgentFamily(
        "anthropic-typescript", "official_sdk", r"(?i)anthropic[-_/ ]?(typescript|ts|js|node)"
    ),
    UserAgentFamily("anthropic-java", "official_sdk", r"(?i)anthropic[-_/ ]?(java|kotlin)"),
    UserAgentFamily("anthropic-go", "official_sdk", r"(?i)anthropic[-_/ ]?go\b"),
    UserAgentFamily("anthropic-ruby", "official_sdk", r"(?i)anthropic[-_/ ]?ruby"),
    UserAgentFamily("openai-python", "official_sdk", r"(?i)openai[-_/ ]?python"),
    UserAgentFamily("openai-node", "official_sdk", r"(?i)openai[-_/ ]?(node|typescript|ts|js)"),
    UserAgentFamily("openai-java", "official_sdk", r"(?i)openai[-_/ ]?(java|kotlin)"),
    UserAgentFamily("openai-go", "official_sdk", r"(?i)openai[-_/ ]?go\b"),
    UserAgentFamily("python-requests", "http_client", r"(?i)python-requests"),
    UserAgentFamily("httpx", "http_client", r"(?i)\bhttpx\b"),
    UserAgentFamily("aiohttp", "http_client", r"(?i)aiohttp"),
    UserAgentFamily("python-urllib", "http_client", r"(?i)python-urllib"),
    UserAgentFamily("curl", "http_client", r"(?i)^curl\b"),
    UserAgentFamily("wget", "http_client", r"(?i)^wget\b"),
    UserAgentFamily("go-http-client", "http_client", r"(?i)go-http-client"),
    UserAgentFamily("okhttp", "http_client", r"(?i)okhttp"),
    UserAgentFamily("node-fetch", "http_client", r"(?i)node-fetch"),
    UserAgentFamily("undici", "http_client", r"(?i)undici"),
    UserAgentFamily("axios", "http_client", r"(?i)axios"),
    UserAgentFamily("java-http-client", "http_client", r"(?i)java-http-client|^java/\d"),
    UserAgentFamily("apache-httpclient", "http_client", r"(?i)apache-httpclient"),
    UserAgentFamily("postman", "http_client", r"(?i)postmanruntime"),
    UserAgentFamily("browser", "browser", r"^Mozilla/"),
)
UA_KINDS: tuple[str, ...] = ("official_sdk", "http_client", "browser", "other", "missing")


def user_agent_family(user_agent: Column) -> Column:
    """The client family, "other" when unknown, null when the header is missing."""
    family = F.when(is_blank(user_agent), F.lit(None).cast(T.StringType()))
    for candidate in USER_AGENT_FAMILIES:
        family = family.when(user_agent.rlike(candidate.pattern), F.lit(candidate.family))
    return family.otherwise(F.lit("other"))


def user_agent_kind(family: Column) -> Column:
    """official_sdk / http_client / browser / other / missing, from ``user_agent_family``."""
    kinds = F.create_map(
        *[
            F.lit(part)
            for candidate in USER_AGENT_FAMILIES
            for part in (candidate.family, candidate.kind)
        ]
    )
    return F.when(family.isNull(), F.lit("missing")).otherwise(
        F.coalesce(F.try_element_at(kinds, family), F.lit("other"))
    )


def with_user_agent_kind(df: DataFrame, user_agent: str = "user_agent") -> DataFrame:
    """Add ``ua_family`` and ``ua_kind`` (the family is computed once, then looked up)."""
    return df.withColumn("ua_family", user_agent_family(F.col(user_agent))).withColumn(
        "ua_kind", user_agent_kind(F.col("ua_family"))
    )


def system_prompt_hash(system_prompt: Column) -> Column:
    """sha256 hex of the system prompt text; null when there is none (null or empty)."""
    return F.when(F.length(system_prompt) > 0, F.sha2(system_prompt, 256))


# --- parsing and classification -------------------------------------------------
# The parse happens in three projections (parse; token type and typed value per
# field; reasons) so that each field's token type is computed once per line.
def _type_of(field: str) -> Column:
    return F.col(f"_type_{field}")


def _value_of(field: str) -> Column:
    return F.col(f"_value_{field}")


def _present(field: str) -> Column:
    # schema_of_variant names the JSON token ("STRING", "BIGINT", "VOID" for
    # JSON null, ...); a field absent from the object is SQL null.
    return _type_of(field).isNotNull() & (_type_of(field) != _JSON_NULL)


def _has_type(field: str, types: tuple[str, ...]) -> Column:
    return F.coalesce(_type_of(field).isin(*types), F.lit(False))


# Joins a line's broken rules inside ``_with_reasons``; no reason name contains it.
_REASON_SEPARATOR = ","


def _reason_if(condition: Column, reason: str) -> Column:
    return F.when(condition, F.lit(reason))


def _typed_value(field: str, types: tuple[str, ...]) -> Column:
    target = {_STRING: "string", _INTEGER: "bigint", _BOOLEAN: "boolean"}[types]
    return F.try_variant_get(F.col(f"_parsed.{field}"), "$", target)


def _parse_lines(
    lines: DataFrame, schema: T.StructType, field_types: dict[str, tuple[str, ...]]
) -> DataFrame:
    """``line`` -> per field ``_type_<f>`` (JSON token type) and ``_value_<f>``, plus ``_line_reason``.

    ``_line_reason`` says why a line is not a JSON object at all. Spark's JSON
    functions stop after the first value of a line, so ``{...}garbage`` would
    parse as its object: a line that does not end with ``}`` is unparseable.
    (Two objects glued on one line, ``{...}{...}``, still pass as the first;
    telling that from a ``}{`` inside a prompt would need a strict parser.)
    """
    parsed = lines.withColumn("_parsed", F.from_json(F.col(LINE_COLUMN), schema, _JSON_OPTIONS))
    trimmed = F.trim(F.col(LINE_COLUMN))
    corrupt = F.col(f"_parsed.{CORRUPT_RECORD_COLUMN}").isNotNull()
    line_reason = (
        F.when(is_blank(F.col(LINE_COLUMN)), F.lit("blank_line"))
        .when(F.col("_parsed").isNull(), F.lit("unparseable"))
        .when(corrupt & F.try_parse_json(trimmed).isNotNull(), F.lit("not_an_object"))
        .when(corrupt | ~trimmed.endswith("}"), F.lit("unparseable"))
    )
    per_field = []
    for field, types in field_types.items():
        per_field.append(F.schema_of_variant(F.col(f"_parsed.{field}")).alias(f"_type_{field}"))
        per_field.append(_typed_value(field, types).alias(f"_value_{field}"))
    return parsed.select(
        LINE_COLUMN, SOURCE_FILE_COLUMN, line_reason.alias("_line_reason"), *per_field
    )


def _field_reasons(
    field_types: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> list[Column]:
    """missing_required:<f> (absent, null, or a blank string) and wrong_type:<f>, per field."""
    missing = []
    wrong = []
    for field, types in field_types.items():
        if field in required:
            absent = ~_present(field)
            if types == _STRING:
                absent = absent | (_has_type(field, types) & is_blank(_value_of(field)))
            missing.append(_reason_if(absent, f"missing_required:{field}"))
        wrong.append(_reason_if(_present(field) & ~_has_type(field, types), f"wrong_type:{field}"))
    return missing + wrong


def _with_reasons(parsed: DataFrame, checks: list[Column]) -> DataFrame:
    """Add ``reasons`` (every broken rule, in check order) and ``reason`` (the first, or null).

    The broken rules are joined with ``concat_ws`` (which skips nulls) and split
    again: unlike ``filter`` over an array of checks, a higher-order function
    that Spark evaluates without generated code, both compile into the
    projection (the parse of a 1.1M-line day took 19-21 s with ``filter``,
    14-16 s without). Reason names are identifiers, so the separator cannot
    occur in one.
    """
    joined = F.concat_ws(_REASON_SEPARATOR, *checks)
    field_reasons = F.when(joined == "", F.array().cast("array<string>")).otherwise(
        F.split(joined, _REASON_SEPARATOR, -1)
    )
    reasons = F.when(F.col("_line_reason").isNotNull(), F.array(F.col("_line_reason"))).otherwise(
        field_reasons
    )
    return parsed.withColumn(REASONS_COLUMN, reasons).withColumn(
        REASON_COLUMN, F.get(F.col(REASONS_COLUMN), 0)
    )


def _typed_output(
    classified: DataFrame, fields: tuple[str, ...], converted: dict[str, Column]
) -> DataFrame:
    # The raw text is needed only to quarantine a bad line; dropping it for good
    # lines halves what a cached parse holds (the prompt is the bulk of a line).
    bad = F.col(REASON_COLUMN).isNotNull()
    return classified.select(
        *[converted.get(name, _value_of(name)).alias(name) for name in fields],
        REASON_COLUMN,
        REASONS_COLUMN,
        F.when(bad, F.col(LINE_COLUMN)).alias(LINE_COLUMN),
        F.when(bad, F.col(SOURCE_FILE_COLUMN)).alias(SOURCE_FILE_COLUMN),
    )


def parse_request_lines(lines: DataFrame, day: date) -> DataFrame:
    """Raw request lines (``line``, ``source_file``) -> typed fields plus ``reason``/``reasons``.

    Output: the contract fields typed (strings, bigint counts, ``ts`` as a UTC
    timestamp), then ``reason`` (null for a good line), ``reasons``, and
    ``line``/``source_file`` kept for bad lines only.
    """
    parsed = _parse_lines(lines, REQUEST_READ_SCHEMA, REQUEST_FIELD_TYPES).withColumn(
        "_ts", utc_timestamp(_value_of("ts"))
    )
    start, end = utc_day_bounds(day)
    ts_text = _has_type("ts", _STRING) & ~is_blank(_value_of("ts"))
    status_low, status_high = HTTP_STATUS_RANGE
    checks = _field_reasons(REQUEST_FIELD_TYPES, REQUEST_REQUIRED) + [
        _reason_if(ts_text & F.col("_ts").isNull(), "invalid_timestamp"),
        _reason_if(ts_text & ((F.col("_ts") < start) | (F.col("_ts") >= end)), "ts_outside_day"),
        *[
            _reason_if(_has_type(name, _INTEGER) & (_value_of(name) < 0), f"negative_count:{name}")
            for name in REQUEST_NON_NEGATIVE
        ],
        _reason_if(
            _has_type("status", _INTEGER) & ~_value_of("status").between(status_low, status_high),
            "invalid_value:status",
        ),
    ]
    return _typed_output(_with_reasons(parsed, checks), REQUEST_FIELDS, {"ts": F.col("_ts")})


def parse_account_lines(lines: DataFrame) -> DataFrame:
    """Raw account snapshot lines -> typed fields plus ``reason``/``reasons`` (as for requests)."""
    parsed = _parse_lines(lines, ACCOUNT_READ_SCHEMA, ACCOUNT_FIELD_TYPES).withColumn(
        "_created_at", utc_timestamp(_value_of("created_at"))
    )
    created_text = _has_type("created_at", _STRING) & ~is_blank(_value_of("created_at"))
    tier_text = _has_type("tier", _STRING) & ~is_blank(_value_of("tier"))
    checks = _field_reasons(ACCOUNT_FIELD_TYPES, ACCOUNT_REQUIRED) + [
        _reason_if(created_text & F.col("_created_at").isNull(), "invalid_timestamp"),
        _reason_if(tier_text & ~_value_of("tier").isin(*ACCOUNT_TIERS), "invalid_value:tier"),
    ]
    return _typed_output(
        _with_reasons(parsed, checks), ACCOUNT_FIELDS, {"created_at": F.col("_created_at")}
    )


def quarantine_rows(classified: DataFrame) -> DataFrame:
    """The bad lines of a classified DataFrame, one row each (``QUARANTINE_SCHEMA``)."""
    return classified.where(F.col(REASON_COLUMN).isNotNull()).select(
        *QUARANTINE_SCHEMA.fieldNames()
    )


def good_rows(classified: DataFrame) -> DataFrame:
    return classified.where(F.col(REASON_COLUMN).isNull())


# --- normalisation into the curated schemas ------------------------------------
def curate_requests(good: DataFrame) -> DataFrame:
    """Good request rows -> ``CURATED_REQUESTS_SCHEMA`` columns, normalised."""
    normalised = (
        good.transform(with_ip_prefix)
        .transform(with_user_agent_kind)
        .withColumn("system_prompt_hash", system_prompt_hash(F.col("system_prompt")))
    )
    return normalised.select(
        *[
            F.col(field.name).cast(field.dataType).alias(field.name)
            for field in CURATED_REQUESTS_SCHEMA.fields
        ]
    )


def curate_accounts(good: DataFrame) -> DataFrame:
    """Good account rows -> ``CURATED_ACCOUNTS_SCHEMA`` columns."""
    return good.select(
        *[
            F.col(field.name).cast(field.dataType).alias(field.name)
            for field in CURATED_ACCOUNTS_SCHEMA.fields
        ]
    )


def _keep_first_per_key(df: DataFrame, key: str) -> DataFrame:
    # Every output column takes part in the order, so which copy survives is a
    # function of the data alone; copies equal on every column are the same row.
    order = [F.col(name).asc_nulls_first() for name in df.columns if name != key]
    window = Window.partitionBy(key).orderBy(*order)
    return (
        df.withColumn("_copy", F.row_number().over(window)).where(F.col("_copy") == 1).drop("_copy")
    )


def drop_duplicate_requests(curated: DataFrame) -> DataFrame:
    """One row per ``request_id`` (at-least-once delivery repeats lines), chosen deterministically."""
    return _keep_first_per_key(curated, "request_id")


def drop_duplicate_accounts(curated: DataFrame) -> DataFrame:
    """One row per ``account_id`` of the snapshot, chosen deterministically."""
    return _keep_first_per_key(curated, "account_id")


def reason_category(reason: str) -> str:
    """``wrong_type:input_tokens`` -> ``wrong_type``."""
    return reason.split(":", 1)[0]
