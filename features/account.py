"""Account-day activity and the account's own rolling-window features.

Two steps, so that a day's requests are read once and rolling windows are cheap:

1. ``account_day_activity(requests, params)`` turns one day's curated requests
   into one *activity* row per account and day (the ``features/account_activity``
   table): additive counts (requests, tokens, errors, 429s, datacenter and raw
   HTTP requests, chain-of-thought and grader prompts), a 24-slot hourly
   histogram, inter-arrival regularity, the sets the linking step needs (IPs and
   /24-/48 prefixes, split by datacenter or not, ASNs, countries, system-prompt
   hashes, task categories, template LSH buckets, active minutes, API keys, client
   strings, the first minute on each model, the text model's intent scores)
   and requests per model. ``with_crowd_content`` then counts the bare
   extraction-shaped questions a crowd of customers asked that day
   (``crowd_content_requests``, left out of the account's content), and
   ``with_template_reuse`` adds ``template_reused_requests``: the account's
   templated prompts when its template bucket is used by another customer
   within the 7 days up to that day.
2. ``rolling_account_features(activity, accounts, day, history_start)`` reads the
   activity rows of days D-27..D (never later) and the account snapshot of D and
   returns one row per account active in D-6..D with every ``account`` feature of
   ``features.feature_set`` plus the helper columns cluster features need.

Activity columns: account_id, dt, org_id, requests, input_tokens, output_tokens,
error_requests, rate_limited_requests, datacenter_requests, raw_http_requests,
cot_requests, grader_requests, hour_requests (array<long>, 24), interarrival_cv,
first_ts, last_ts, ips, datacenter_ips, ip_prefixes, datacenter_ip_prefixes,
asns, countries, system_prompt_hashes, task_categories, active_minutes
(array<int>, minute of the UTC day), model_requests (map<string,long>),
template_share, template_buckets, template_reused_requests, intent_requests,
intent_score_sum, content_requests, crowd_content_requests, api_keys, user_agents,
model_first_minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from features import reference
from features.feature_set import ACCOUNT_FEATURES
from features.skew import salted_join
from features.text import (
    TASK_CATEGORIES,
    TemplateParams,
    account_day_templates,
    task_categories_column,
    with_prompt_signals,
)

# The text model's per-request score column, and when a request counts as extraction-shaped:
# the model is a balanced logistic regression, so 0.5 is where it is as sure of one class
# as of the other.
INTENT_COLUMN = "intent_score"
INTENT_THRESHOLD = 0.5
ROLLING_DAYS = 28
WEEK_DAYS = 7
NEW_MODEL_DAYS = 3
# Silent days after which an account's activity counts as a wake (a sleeper bought or
# farmed earlier and put to work): two weeks, the span of a training window.
WAKE_SILENCE_DAYS = 14
HOURS = 24


@dataclass(frozen=True)
class ActivityParams:
    template: TemplateParams = TemplateParams()
    # Who decides the prompt signals (features.text.with_prompt_signals): auto,
    # hyperscan or spark. Hyperscan must then be installed on the executors too.
    signal_engine: str = "auto"


def _datacenter(column: str = "asn"):
    return F.col(column).isin(*sorted(reference.DATACENTER_ASNS))


def account_day_activity(
    requests: DataFrame, params: ActivityParams = ActivityParams()
) -> DataFrame:
    """One activity row per (account_id, dt) of curated ``requests`` (any number of days)."""
    by_account_in_time = Window.partitionBy("account_id", "dt").orderBy("ts", "request_id")
    micros = F.unix_micros("ts")
    signals = with_prompt_signals(requests, params.signal_engine).withColumns(
        {
            "hour": F.hour("ts"),
            "minute_of_day": F.hour("ts") * 60 + F.minute("ts"),
            "is_datacenter": F.coalesce(_datacenter(), F.lit(False)),
            "gap_seconds": (micros - F.lag(micros).over(by_account_in_time)) / 1e6,
        }
    )

    def count_where(condition):
        return F.sum(F.when(condition, 1).otherwise(0)).cast("long")

    def set_where(condition, column: str):
        return F.array_sort(F.collect_set(F.when(condition, F.col(column))))

    gaps = F.col("gap_seconds")
    # The text model's score when the job was given one (features.text_intent).
    intent = F.col(INTENT_COLUMN) if INTENT_COLUMN in requests.columns else F.lit(None)
    intent_hit = F.coalesce(intent >= F.lit(INTENT_THRESHOLD), F.lit(False))
    elicited = (F.col("is_cot") > 0) | (F.col("is_grader") > 0)
    content_hit = intent_hit | elicited
    # A bare extraction-shaped request (the text model's hit, no chain-of-thought or grading
    # wrapper) is a question; its item key lets ``with_crowd_content`` find those a crowd asks.
    bare_item = F.when(intent_hit & ~elicited, content_item_key(F.col("prompt")))
    base = signals.groupBy("account_id", "dt").agg(
        F.max("org_id").alias("org_id"),
        F.count(F.lit(1)).alias("requests"),
        F.sum("input_tokens").cast("long").alias("input_tokens"),
        F.sum("output_tokens").cast("long").alias("output_tokens"),
        count_where(F.col("status") >= 400).alias("error_requests"),
        count_where(F.col("status") == 429).alias("rate_limited_requests"),
        count_where(F.col("is_datacenter")).alias("datacenter_requests"),
        count_where(F.col("ua_kind").isin(*reference.RAW_HTTP_UA_KINDS)).alias("raw_http_requests"),
        F.sum("is_cot").cast("long").alias("cot_requests"),
        F.sum("is_grader").cast("long").alias("grader_requests"),
        count_where(intent_hit).alias("intent_requests"),
        F.coalesce(F.sum(intent), F.lit(0.0)).cast("double").alias("intent_score_sum"),
        count_where(content_hit).alias("content_requests"),
        F.collect_list(bare_item).alias("content_items"),
        F.array_sort(F.collect_set("api_key_id")).alias("api_keys"),
        F.array_sort(F.collect_set(F.coalesce("user_agent", F.lit("")))).alias("user_agents"),
        F.array(*[count_where(F.col("hour") == hour) for hour in range(HOURS)]).alias(
            "hour_requests"
        ),
        # Coefficient of variation of gaps: needs two gaps; a burst inside one
        # microsecond (mean gap 0) has no meaningful regularity either.
        F.when((F.count(gaps) >= 2) & (F.avg(gaps) > 0), F.stddev_pop(gaps) / F.avg(gaps)).alias(
            "interarrival_cv"
        ),
        F.min("ts").alias("first_ts"),
        F.max("ts").alias("last_ts"),
        set_where(~F.col("is_datacenter"), "ip").alias("ips"),
        set_where(F.col("is_datacenter"), "ip").alias("datacenter_ips"),
        set_where(~F.col("is_datacenter"), "ip_prefix").alias("ip_prefixes"),
        set_where(F.col("is_datacenter"), "ip_prefix").alias("datacenter_ip_prefixes"),
        F.array_sort(F.collect_set("asn")).alias("asns"),
        F.array_sort(F.collect_set("country")).alias("countries"),
        F.array_sort(F.collect_set("system_prompt_hash")).alias("system_prompt_hashes"),
        *[F.max(f"task_{name}").alias(f"task_{name}") for name in TASK_CATEGORIES],
        F.array_sort(F.collect_set("minute_of_day")).alias("active_minutes"),
    )
    base = base.withColumn("task_categories", task_categories_column()).drop(
        *[f"task_{name}" for name in TASK_CATEGORIES]
    )
    minute = F.hour("ts") * 60 + F.minute("ts")
    models = (
        requests.groupBy("account_id", "dt", "model")
        .agg(F.count(F.lit(1)).alias("n"), F.min(minute).alias("first_minute"))
        .groupBy("account_id", "dt")
        .agg(
            F.map_from_entries(F.array_sort(F.collect_list(F.struct("model", "n")))).alias(
                "model_requests"
            ),
            F.map_from_entries(
                F.array_sort(F.collect_list(F.struct("model", "first_minute")))
            ).alias("model_first_minute"),
        )
    )
    templates = account_day_templates(requests, params.template)
    return (
        base.join(models, on=["account_id", "dt"], how="left")
        .join(templates, on=["account_id", "dt"], how="left")
        .select(*DAY_ACTIVITY_COLUMNS)
    )


def content_item_key(prompt: F.Column) -> F.Column:
    """The same question whatever its case, punctuation and spacing: a 64-bit hash."""
    return F.xxhash64(F.trim(F.regexp_replace(F.lower(prompt), r"[^\p{L}\p{N}]+", " ")))


_AGGREGATED_COLUMNS: tuple[str, ...] = (
    "account_id",
    "dt",
    "org_id",
    "requests",
    "input_tokens",
    "output_tokens",
    "error_requests",
    "rate_limited_requests",
    "datacenter_requests",
    "raw_http_requests",
    "cot_requests",
    "grader_requests",
    "intent_requests",
    "intent_score_sum",
    "content_requests",
    "api_keys",
    "user_agents",
    "hour_requests",
    "interarrival_cv",
    "first_ts",
    "last_ts",
    "ips",
    "datacenter_ips",
    "ip_prefixes",
    "datacenter_ip_prefixes",
    "asns",
    "countries",
    "system_prompt_hashes",
    "task_categories",
    "active_minutes",
    "model_requests",
    "model_first_minute",
    "template_share",
    "template_buckets",
)
# What ``account_day_activity`` returns: the item keys of the bare content requests are
# replaced by their crowd count (``with_crowd_content``) before the rows are stored.
DAY_ACTIVITY_COLUMNS: tuple[str, ...] = (*_AGGREGATED_COLUMNS, "content_items")
ACTIVITY_COLUMNS_BEFORE_REUSE: tuple[str, ...] = (*_AGGREGATED_COLUMNS, "crowd_content_requests")
ACTIVITY_COLUMNS: tuple[str, ...] = (*ACTIVITY_COLUMNS_BEFORE_REUSE, "template_reused_requests")
# A question is a crowd's when this many customers (an org once) ask it the same day: the
# "several customers" of a hydra cluster (``models.cluster_evidence.MIN_CLUSTER_CUSTOMERS``).
CROWD_CUSTOMERS = 3


def customer_ids(snapshots: DataFrame, covered: DataFrame) -> DataFrame:
    """``(target, account_id, customer_id)`` for every account in ``covered``.

    ``covered``: activity rows ``(target, account_id, org_id, ...)``, each repeated
    for the target days whose window covers it; ``snapshots``: the account snapshot
    ``(account_id, dt, org_id)`` of each target day. The customer on T is the org
    when there is one (an enterprise's accounts are one customer), from T's snapshot
    first and the org T's window of requests names second, else the account itself.
    """
    seen_org = covered.groupBy("target", "account_id").agg(F.max("org_id").alias("seen_org_id"))
    return seen_org.join(
        snapshots.select(
            "account_id", F.col("dt").alias("target"), F.col("org_id").alias("snapshot_org_id")
        ),
        on=["target", "account_id"],
        how="left",
    ).select(
        "target",
        "account_id",
        F.coalesce("snapshot_org_id", "seen_org_id", "account_id").alias("customer_id"),
    )


def covering_days(days: Sequence[date], window_days: int, history_start: date | None = None):
    """The target days of ``days`` whose ``window_days``-day window (T-window_days+1..T,
    from ``history_start`` on) covers a row's ``dt``: an array column, to explode."""
    targets = F.array(*[F.lit(d) for d in sorted(set(days))])

    def covers(t: Column) -> Column:
        age = F.datediff(t, F.col("dt"))
        return (age >= 0) & (age < window_days)

    if history_start is None:
        return F.filter(targets, covers)
    return F.filter(targets, lambda t: covers(t) & (F.col("dt") >= F.lit(history_start)))


def with_crowd_content(activity_day: DataFrame) -> DataFrame:
    """Replace ``content_items`` of one day's activity rows by ``crowd_content_requests``.

    Distillation harvests *coverage*: every item a campaign pays for is one its
    student model has not seen, so a fleet spreads a dataset over its accounts
    and does not send one question from many of them. A question that several
    customers ask the same day is a crowd's: a class working its assignment, a
    popular prompt, a benchmark item many labs run. Such a bare question (the
    text model's hit without a chain-of-thought or grading wrapper, whose
    repetition across customers is a harness, not a crowd) is not counted as the
    account's extraction content (``content_requests_7d`` leaves it out); the
    text model cannot tell homework from a sweep item by its words alone.

    The crowd is ``CROWD_CUSTOMERS`` customers (an account's org, else the
    account: an org counts once) asking the same item key (``content_item_key``)
    on the same day. A campaign that sends each item from that many customers to
    pass as a crowd pays that many times for every item.

    Lazy and shuffled, never broadcast: a broadcast is a Spark job of its own
    (the sweep's budget of jobs, ``tests/flows/test_flows_e2e.py``), and the
    item keys are a few longs per request, so a hot item is a cheap task.
    """
    items = activity_day.select(
        "account_id",
        "dt",
        F.coalesce("org_id", "account_id").alias("customer_id"),
        F.explode("content_items").alias("item"),
    )
    crowd_items = (
        items.groupBy("dt", "item")
        .agg(F.countDistinct("customer_id").alias("askers"))
        .where(F.col("askers") >= CROWD_CUSTOMERS)
        .select("dt", "item")
    )
    crowd_requests = (
        items.join(crowd_items.hint("shuffle_hash"), on=["dt", "item"], how="left_semi")
        .groupBy("account_id", "dt")
        .agg(F.count(F.lit(1)).cast("long").alias("crowd_content_requests"))
    )
    return (
        activity_day.join(crowd_requests.hint("shuffle_hash"), on=["account_id", "dt"], how="left")
        .withColumn(
            "crowd_content_requests",
            F.coalesce("crowd_content_requests", F.lit(0).cast("long")),
        )
        .select(*ACTIVITY_COLUMNS_BEFORE_REUSE)
    )


def with_template_reuse(
    activity: DataFrame, window_rows: DataFrame, snapshots: DataFrame, days: Sequence[date]
) -> DataFrame:
    """Add ``template_reused_requests`` to the activity rows of ``days`` (``activity``).

    For each day T of ``days``, a bucket counts as reused when two or more customers
    used it in T's 7 days (T-6..T); an account's reused requests on T are then its
    templated share of its requests of T. ``window_rows`` holds ``(account_id, dt,
    template_buckets, org_id)`` of every day those windows cover (the activity rows of
    ``days`` among them); ``snapshots`` the account snapshot ``(account_id, dt, org_id)``
    of each day of ``days``. An account's customer on T is its org in T's snapshot,
    else the org its rows of T's window name, else itself (``customer_ids``).

    Keyed by the target day, so one plan serves any number of days (a backfill's
    batch) and gives each day what a run of that day alone gives: every window row is
    repeated for the target days whose window covers it (at most seven), with no join.
    """
    covered = window_rows.select(
        "account_id",
        "org_id",
        "template_buckets",
        F.explode(covering_days(days, WEEK_DAYS)).alias("target"),
    )
    customers = customer_ids(snapshots, covered)
    shared_buckets = (
        covered.select("target", "account_id", F.explode("template_buckets").alias("bucket"))
        .join(customers, on=["target", "account_id"], how="inner")
        .groupBy("target", "bucket")
        .agg(F.countDistinct("customer_id").alias("customers"))
        .where(F.col("customers") >= 2)
        .select("target", "bucket")
    )
    reusing_accounts = (
        activity.select(
            "account_id",
            F.col("dt").alias("target"),
            F.explode("template_buckets").alias("bucket"),
        )
        .join(shared_buckets, on=["target", "bucket"], how="left_semi")
        .select("account_id", F.col("target").alias("dt"))
        .distinct()
        .withColumn("reuses_template", F.lit(True))
    )
    return activity.join(reusing_accounts, on=["account_id", "dt"], how="left").select(
        *ACTIVITY_COLUMNS_BEFORE_REUSE,
        F.when(
            F.col("reuses_template"),
            F.round(F.col("template_share") * F.col("requests")).cast("long"),
        )
        .otherwise(F.lit(0).cast("long"))
        .alias("template_reused_requests"),
    )


def _share(numerator: str, denominator: str):
    return F.when(F.col(denominator) > 0, F.col(numerator) / F.col(denominator)).otherwise(
        F.lit(0.0)
    )


def _union_size(column: str):
    return F.size(F.array_distinct(F.flatten(F.collect_list(column))))


def model_first_seen(activity: DataFrame, by: Sequence[str] = ()) -> DataFrame:
    """``(*by, model, first_seen)``: the first day in ``activity`` a model was requested
    (per ``by``: ``("target",)`` over ``rolling_windows``, each target day's own)."""
    return (
        activity.select(*by, "dt", F.explode(F.map_keys("model_requests")).alias("model"))
        .groupBy(*by, "model")
        .agg(F.min("dt").alias("first_seen"))
    )


def rolling_windows(activity: DataFrame, days: Sequence[date], history_start: date) -> DataFrame:
    """The activity rows of each target day's T-27..T window, keyed by ``target``: every
    row repeated for the target days of ``days`` whose window covers it."""
    return activity.withColumn(
        "target", F.explode(covering_days(days, ROLLING_DAYS, history_start))
    )


def rolling_account_features(
    activity: DataFrame, accounts: DataFrame, day: date, history_start: date
) -> DataFrame:
    """``rolling_features_by_day`` of one day, without its ``dt`` key: ``accounts`` is
    the account snapshot of ``day`` (any ``dt`` column it has is replaced)."""
    snapshot = accounts.withColumn("dt", F.lit(day))
    return rolling_features_by_day(activity, snapshot, [day], history_start).drop("dt")


def rolling_features_by_day(
    activity: DataFrame, snapshots: DataFrame, days: Sequence[date], history_start: date
) -> DataFrame:
    """For each day T of ``days``, one row per account active in T-6..T: its account
    features as of T and helper columns, keyed by ``dt`` = T.

    ``activity`` may hold any days; each target T uses its T-27..T. ``snapshots`` is
    the account snapshot of each day of ``days`` (``dt`` its day). ``history_start``
    is the first day the lake has traffic for: models first seen on it were not
    *released* in our view, and silence before it is unknown rather than dormancy.
    Columns: ``account_id``, ``dt``, ``customer_id``, ``active_on_day``, every account
    feature, and helpers (``ROLLING_HELPER_COLUMNS``).

    Keyed by the target day, as ``with_template_reuse`` is: every activity row is
    repeated for the target days whose 28-day window covers it, so one plan serves a
    backfill's batch of days and gives each day what a plan of that day alone gives.
    """
    if "crowd_content_requests" not in activity.columns:  # rows stored before it existed
        activity = activity.withColumn("crowd_content_requests", F.lit(0).cast("long"))
    target = F.col("target")
    # T-27..T, from the lake's first day on.
    window_start = F.greatest(F.date_sub(target, ROLLING_DAYS - 1), F.lit(history_start))
    window = rolling_windows(activity, days, history_start)
    week = window.where(F.datediff(target, F.col("dt")) < WEEK_DAYS)
    customers = customer_ids(snapshots, week)
    keys = ["target", "account_id"]
    on_target = F.col("dt") == target

    def on_day(column: str):
        return F.sum(F.when(on_target, F.col(column)).otherwise(0))

    weekly = week.groupBy(*keys).agg(
        on_day("requests").cast("long").alias("requests_count_1d"),
        on_day("output_tokens").cast("long").alias("output_tokens_1d"),
        F.max(F.when(on_target, F.size(F.filter("hour_requests", lambda n: n > 0))))
        .cast("int")
        .alias("active_hours_count_1d"),
        F.max(F.when(on_target, F.col("interarrival_cv"))).alias("interarrival_cv_1d"),
        F.sum("requests").cast("long").alias("requests_7d"),
        F.sum("input_tokens").cast("long").alias("input_tokens_sum_7d"),
        F.sum("output_tokens").cast("long").alias("output_tokens_sum_7d"),
        F.sum("error_requests").alias("error_requests_7d"),
        F.sum("rate_limited_requests").alias("rate_limited_requests_7d"),
        F.sum("datacenter_requests").alias("datacenter_requests_7d"),
        F.sum("raw_http_requests").alias("raw_http_requests_7d"),
        F.sum("cot_requests").cast("long").alias("cot_requests_7d"),
        F.sum("grader_requests").alias("grader_requests_7d"),
        # The account's own extraction content: a crowd's bare questions left out.
        F.sum(F.col("content_requests") - F.coalesce("crowd_content_requests", F.lit(0)))
        .cast("long")
        .alias("content_requests_7d"),
        F.sum("intent_score_sum").alias("intent_score_sum_7d"),
        F.max(F.size("asns")).cast("long").alias("egress_asns_max_1d"),
        F.max(F.size("countries")).cast("long").alias("egress_countries_max_1d"),
        F.array_distinct(F.flatten(F.collect_list("api_keys"))).alias("api_keys_7d"),
        F.sum("template_reused_requests").alias("template_reused_requests_7d"),
        # Exit-days (an address on a day), what ``features.clusters.egress_fleet`` divides by.
        F.sum(F.size("ips") + F.size("datacenter_ips")).cast("long").alias("egress_ip_days_7d"),
        F.size(F.array_distinct(F.flatten(F.collect_list(F.concat("ips", "datacenter_ips")))))
        .cast("long")
        .alias("distinct_ips_7d"),
        F.size(
            F.array_distinct(
                F.flatten(F.collect_list(F.concat("ip_prefixes", "datacenter_ip_prefixes")))
            )
        )
        .cast("long")
        .alias("distinct_ip_prefixes_7d"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("asns")))).alias("asns_7d"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("countries")))).alias(
            "countries_7d"
        ),
        _union_size("task_categories").cast("long").alias("task_breadth_count_7d"),
    )

    hours = (
        week.select(*keys, F.posexplode("hour_requests").alias("hour", "n"))
        .groupBy(*keys, "hour")
        .agg(F.sum("n").alias("n"))
        .where(F.col("n") > 0)
        .withColumn("p", F.col("n") / F.sum("n").over(Window.partitionBy(*keys)))
        .groupBy(*keys)
        .agg(F.sum(-F.col("p") * F.log2("p")).alias("hour_entropy_bits_7d"))
    )

    monthly = window.groupBy(*keys).agg(F.sum("requests").cast("long").alias("requests_count_28d"))

    # Gaps and islands over each account's sorted active days of the window, in one pass:
    # the current streak is the run of days ending on T (on its days,
    # datediff(T, dt) == n - 1 - i); a wake is the first active day after WAKE_SILENCE_DAYS
    # or more silent days (the silence before the first active day is read against the
    # account's creation once the snapshot is joined, below).
    streaks = (
        window.groupBy(*keys)
        .agg(F.array_sort(F.collect_set("dt")).alias("days"))
        .withColumn(
            "streak_start",
            F.expr("array_min(filter(days, (d, i) -> datediff(target, d) = size(days) - 1 - i))"),
        )
        .select(
            *keys,
            "streak_start",
            F.expr("array_max(filter(days, d -> d < streak_start))").alias("previous_active_day"),
            F.array_min("days").alias("first_active_day"),
            F.expr(
                "array_max(filter(days, (d, i) -> i > 0 AND "
                f"datediff(d, days[greatest(i - 1, 0)]) - 1 >= {WAKE_SILENCE_DAYS}))"
            ).alias("latest_gap_wake"),
        )
    )

    # Models first seen in T's window within NEW_MODEL_DAYS + 1 days of T, after the lake
    # began (``model_first_seen`` per target day).
    first_seen = model_first_seen(window, by=("target",)).where(
        (F.col("first_seen") >= F.date_sub(target, NEW_MODEL_DAYS))
        & (F.col("first_seen") > F.lit(history_start))
    )
    recent = window.where(F.datediff(target, F.col("dt")) < NEW_MODEL_DAYS).select(
        *keys, F.explode("model_requests").alias("model", "n")
    )
    new_model = (
        recent.join(F.broadcast(first_seen), on=["target", "model"], how="left")
        .groupBy(*keys)
        .agg(
            (
                F.sum(F.when(F.col("first_seen").isNotNull(), F.col("n")).otherwise(0)) / F.sum("n")
            ).alias("new_model_share_3d")
        )
    )

    system_prompt_users = week.select(
        *keys, F.explode("system_prompt_hashes").alias("system_prompt_hash")
    ).join(customers, on=keys, how="inner")
    # Salted: a network's system prompt is one key held by thousands of accounts.
    system_prompt_sharing = (
        salted_join(
            system_prompt_users,
            system_prompt_users.groupBy("target", "system_prompt_hash").agg(
                F.countDistinct("customer_id").alias("customers")
            ),
            on=["target", "system_prompt_hash"],
            spread_by="account_id",
        )
        .groupBy(*keys)
        .agg((F.max("customers") - 1).cast("long").alias("system_prompt_sharing_customers_7d"))
    )

    snapshot = snapshots.select(
        "account_id",
        F.col("dt").alias("target"),
        "created_at",
        "tier",
        "verified",
        "payment_fingerprint",
        "signup_ip",
        "email_domain",
    )
    tier_rank = F.create_map(*[F.lit(x) for pair in reference.TIER_RANKS.items() for x in pair])
    end_of_day = F.date_add(target, 1).cast("timestamp")
    created_day = F.to_date("created_at")
    silent_since = F.greatest(F.coalesce(created_day, window_start), window_start)
    account_age = (F.unix_micros(end_of_day) - F.unix_micros("created_at")) / 86_400e6
    # The latest wake: between active days, or the first active day after a silence since
    # creation (or since the window or the lake's history began).
    wake_day = F.coalesce(
        F.col("latest_gap_wake"),
        F.when(
            F.datediff("first_active_day", silent_since) >= WAKE_SILENCE_DAYS,
            F.col("first_active_day"),
        ),
    )

    # Keys across the customer's accounts: a campaign can hide in one org's many keys.
    customer_keys = (
        weekly.join(customers, on=keys, how="left")
        .withColumn("customer_id", F.coalesce("customer_id", "account_id"))
        .groupBy("target", "customer_id")
        .agg(
            F.size(F.array_distinct(F.flatten(F.collect_list("api_keys_7d"))))
            .cast("long")
            .alias("customer_api_keys_7d")
        )
    )
    joined = (
        weekly.join(customers, on=keys, how="left")
        .join(hours, on=keys, how="left")
        .join(monthly, on=keys, how="left")
        .join(streaks, on=keys, how="left")
        .join(new_model, on=keys, how="left")
        .join(system_prompt_sharing, on=keys, how="left")
        .join(snapshot, on=keys, how="left")
        .withColumn("customer_id", F.coalesce("customer_id", "account_id"))
        .join(customer_keys, on=["target", "customer_id"], how="left")
    )
    derived = {
        "active_on_day": F.col("requests_count_1d") > 0,
        "requests_count_7d": F.col("requests_7d"),
        "output_input_token_ratio_7d": F.col("output_tokens_sum_7d")
        / F.greatest(F.col("input_tokens_sum_7d"), F.lit(1)),
        "hour_entropy_bits_7d": F.coalesce("hour_entropy_bits_7d", F.lit(0.0)),
        "distinct_asns_7d": F.size("asns_7d").cast("long"),
        "datacenter_asn_share_7d": _share("datacenter_requests_7d", "requests_7d"),
        "raw_http_client_share_7d": _share("raw_http_requests_7d", "requests_7d"),
        "error_rate_7d": _share("error_requests_7d", "requests_7d"),
        "rate_limited_share_7d": _share("rate_limited_requests_7d", "requests_7d"),
        "account_age_days": account_age,
        "tier_rank": tier_rank[F.col("tier")],
        "verified_flag": F.col("verified").cast("int"),
        # An account bought or farmed long ago and woken is as new as a fresh one: days
        # since its latest wake when that is later than its creation.
        "activity_age_days": F.when(
            wake_day.isNotNull(),
            F.least(account_age, F.datediff(target, wake_day) + 1),
        ).otherwise(account_age),
        # Days of silence before the streak that ends on D. With no earlier
        # activity in the window, the account was silent since it was created
        # (or at least since the window or the lake's history began).
        "dormant_days_before_activity": F.when(
            F.col("previous_active_day").isNotNull(),
            F.datediff("streak_start", "previous_active_day") - 1,
        ).otherwise(F.greatest(F.datediff("streak_start", silent_since), F.lit(0))),
        "cot_prompt_share_7d": _share("cot_requests_7d", "requests_7d"),
        "grader_prompt_share_7d": _share("grader_requests_7d", "requests_7d"),
        "template_reuse_share_7d": _share("template_reused_requests_7d", "requests_7d"),
        "content_share_7d": _share("content_requests_7d", "requests_7d"),
        "intent_score_mean_7d": _share("intent_score_sum_7d", "requests_7d"),
        "api_keys_count_7d": F.size("api_keys_7d").cast("long"),
        "system_prompt_sharing_customers_7d": F.coalesce(
            "system_prompt_sharing_customers_7d", F.lit(0)
        ),
        "new_model_share_3d": F.coalesce("new_model_share_3d", F.lit(0.0)),
        "customer_id": F.coalesce("customer_id", "account_id"),
    }
    features = joined.withColumns(derived)
    return features.select(
        "account_id",
        F.col("target").alias("dt"),
        "customer_id",
        "active_on_day",
        *[F.col(spec.name).cast(spec.dtype).alias(spec.name) for spec in ACCOUNT_FEATURES],
        *ROLLING_HELPER_COLUMNS,
    )


ROLLING_HELPER_COLUMNS: tuple[str, ...] = (
    "requests_7d",
    "cot_requests_7d",
    "content_requests_7d",
    "egress_ip_days_7d",
    "output_tokens_1d",
    "countries_7d",
    "asns_7d",
    "streak_start",
    "created_at",
    "payment_fingerprint",
    "signup_ip",
    "email_domain",
)
