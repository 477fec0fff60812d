"""Record schemas: the contract's raw records and the pipeline's curated tables.

Raw schemas follow ../CONTRACT.md sections 2-4 exactly; they are read with an
explicit schema (never inferred) and every field is first read as a string so
that a wrong type becomes a counted bad line rather than a silent null. The
curated schemas are the pipeline's own and are what every later stage reads.
"""

from __future__ import annotations

from pyspark.sql import types as T

# --- contract: raw request record (section 2) ---------------------------------
REQUEST_FIELDS: tuple[str, ...] = (
    "request_id",
    "ts",
    "account_id",
    "api_key_id",
    "org_id",
    "ip",
    "asn",
    "country",
    "user_agent",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "status",
    "system_prompt",
    "prompt",
)
REQUEST_REQUIRED: tuple[str, ...] = (
    "request_id",
    "ts",
    "account_id",
    "api_key_id",
    "ip",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "status",
    "prompt",
)
REQUEST_INTEGER_FIELDS: tuple[str, ...] = (
    "asn",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "status",
)
REQUEST_NON_NEGATIVE: tuple[str, ...] = ("input_tokens", "output_tokens", "latency_ms")

# --- contract: account snapshot record (section 3) ----------------------------
ACCOUNT_FIELDS: tuple[str, ...] = (
    "account_id",
    "org_id",
    "created_at",
    "email_domain",
    "payment_fingerprint",
    "billing_country",
    "signup_ip",
    "tier",
    "verified",
)
ACCOUNT_REQUIRED: tuple[str, ...] = ("account_id", "created_at", "email_domain", "tier", "verified")
ACCOUNT_TIERS: tuple[str, ...] = ("free", "build", "scale", "enterprise")

# --- contract: label record (section 4) ---------------------------------------
LABEL_FIELDS: tuple[str, ...] = ("account_id", "label", "labeled_at", "source")

CORRUPT_RECORD_COLUMN = "_corrupt_record"


def raw_string_schema(fields: tuple[str, ...]) -> T.StructType:
    """All-string read schema plus the corrupt-record column.

    Reading every field as a string keeps the original text of a mistyped value
    (``"input_tokens": "12"`` or ``true``) so the type check can name it.
    """
    return T.StructType(
        [T.StructField(name, T.StringType(), True) for name in fields]
        + [T.StructField(CORRUPT_RECORD_COLUMN, T.StringType(), True)]
    )


# --- the pipeline's curated tables --------------------------------------------
CURATED_REQUESTS_SCHEMA = T.StructType(
    [
        T.StructField("request_id", T.StringType(), False),
        T.StructField("ts", T.TimestampType(), False),
        T.StructField("account_id", T.StringType(), False),
        T.StructField("api_key_id", T.StringType(), False),
        T.StructField("org_id", T.StringType(), True),
        T.StructField("ip", T.StringType(), False),
        # /24 for IPv4, /48 for IPv6, e.g. "203.0.113.0/24", "2001:db8:1::/48"
        T.StructField("ip_prefix", T.StringType(), True),
        T.StructField("ip_version", T.IntegerType(), True),
        T.StructField("asn", T.LongType(), True),
        T.StructField("country", T.StringType(), True),
        T.StructField("user_agent", T.StringType(), True),
        # e.g. "anthropic-python", "openai-node", "python-requests", "curl", "browser", "other"
        T.StructField("ua_family", T.StringType(), True),
        # "official_sdk", "http_client", "browser", "other", "missing"
        T.StructField("ua_kind", T.StringType(), False),
        T.StructField("model", T.StringType(), False),
        T.StructField("input_tokens", T.LongType(), False),
        T.StructField("output_tokens", T.LongType(), False),
        T.StructField("latency_ms", T.LongType(), False),
        T.StructField("status", T.IntegerType(), False),
        T.StructField("system_prompt", T.StringType(), True),
        # sha256 hex of the system prompt text; null when there is none
        T.StructField("system_prompt_hash", T.StringType(), True),
        T.StructField("prompt", T.StringType(), False),
    ]
)

CURATED_ACCOUNTS_SCHEMA = T.StructType(
    [
        T.StructField("account_id", T.StringType(), False),
        T.StructField("org_id", T.StringType(), True),
        T.StructField("created_at", T.TimestampType(), False),
        T.StructField("email_domain", T.StringType(), False),
        T.StructField("payment_fingerprint", T.StringType(), True),
        T.StructField("billing_country", T.StringType(), True),
        T.StructField("signup_ip", T.StringType(), True),
        T.StructField("tier", T.StringType(), False),
        T.StructField("verified", T.BooleanType(), False),
    ]
)

# Curated tables are Parquet partitioned by ``dt`` (a DateType column named
# "dt", folder ``dt=YYYY-MM-DD``); the schemas above are the non-partition columns.
PARTITION_COLUMN = "dt"
