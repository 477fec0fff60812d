"""The one declared feature set, imported by both training and scoring.

Each ``FeatureSpec`` names a model input column with its unit and window in the
name (``output_tokens_sum_7d``), its Spark dtype and what it means. The
features job writes exactly these columns (plus keys) to the
``features/account_day`` table; training and scoring select ``FEATURE_SET.names``
in this order, and the set's name and version are logged with every model so
the columns cannot drift between them.

Keys of every feature row (not model inputs): ``account_id`` (string), ``dt``
(date), ``customer_id`` (string: the org when there is one, else the account),
``hydra_cluster_id`` (string, null when the account is linked to nobody).

Cluster features describe the account's hydra cluster when it has one and
otherwise its own customer (all accounts of the org, or the account alone), so
an unlinked enterprise org still shows its size and spread.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    dtype: str  # Spark SQL type name: "double", "long", "integer"
    description: str
    group: str  # "account" (the account's own behaviour) or "cluster" (its hydra cluster)


@dataclass(frozen=True)
class FeatureSet:
    name: str
    version: int
    specs: tuple[FeatureSpec, ...]

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.specs]

    def group(self, group: str) -> list[str]:
        return [spec.name for spec in self.specs if spec.group == group]

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "features": [spec.__dict__ for spec in self.specs],
        }


KEY_COLUMNS: tuple[str, ...] = ("account_id", "dt", "customer_id", "hydra_cluster_id")


def _a(name: str, dtype: str, description: str) -> FeatureSpec:
    return FeatureSpec(name, dtype, description, "account")


def _c(name: str, dtype: str, description: str) -> FeatureSpec:
    return FeatureSpec(name, dtype, description, "cluster")


ACCOUNT_FEATURES: tuple[FeatureSpec, ...] = (
    _a("requests_count_1d", "long", "Requests on the day."),
    _a("requests_count_7d", "long", "Requests in the 7 days up to and including the day."),
    _a("requests_count_28d", "long", "Requests in the 28 days up to and including the day."),
    _a("input_tokens_sum_7d", "long", "Input tokens over 7 days."),
    _a("output_tokens_sum_7d", "long", "Output tokens over 7 days."),
    _a(
        "output_input_token_ratio_7d", "double", "Output tokens / max(input tokens, 1) over 7 days."
    ),
    _a("active_hours_count_1d", "integer", "Distinct UTC hours with a request on the day."),
    _a(
        "interarrival_cv_1d",
        "double",
        "Coefficient of variation of seconds between requests on the day (low = machine-regular); null with fewer than 3 requests.",
    ),
    _a(
        "hour_entropy_bits_7d",
        "double",
        "Shannon entropy (bits) of the hour-of-day distribution over 7 days (max ~4.58 = flat over 24 h).",
    ),
    _a("distinct_ips_7d", "long", "Distinct client IPs over 7 days."),
    _a(
        "distinct_ip_prefixes_7d", "long", "Distinct /24 (IPv4) or /48 (IPv6) prefixes over 7 days."
    ),
    _a("distinct_asns_7d", "long", "Distinct ASNs over 7 days."),
    _a(
        "datacenter_asn_share_7d",
        "double",
        "Share of requests from hosting/datacenter ASNs over 7 days.",
    ),
    _a(
        "raw_http_client_share_7d",
        "double",
        "Share of requests from raw HTTP clients (not an official SDK) over 7 days.",
    ),
    _a("error_rate_7d", "double", "Share of requests with status >= 400 over 7 days."),
    _a("rate_limited_share_7d", "double", "Share of requests answered 429 over 7 days."),
    _a("account_age_days", "double", "Days from account creation to the end of the day."),
    _a("tier_rank", "integer", "Tier as an ordinal: free 0, build 1, scale 2, enterprise 3."),
    _a("verified_flag", "integer", "1 when identity verification passed."),
    _a(
        "dormant_days_before_activity",
        "double",
        "Days of silence before the activity streak ending on the day began (sleeper accounts), counted within the 28-day window and since creation; 0 for steady accounts.",
    ),
    _a(
        "activity_age_days",
        "double",
        "Days since the account's activity began: since its creation, or since its latest wake (its first active day after 14+ silent days, within the 28-day window and since creation) when that is later. A sleeper bought long ago and woken is as new as a fresh account for two weeks, whatever streaks its use has.",
    ),
    _a(
        "cot_prompt_share_7d",
        "double",
        "Share of requests whose prompt or system prompt elicits step-by-step reasoning, over 7 days.",
    ),
    _a(
        "grader_prompt_share_7d",
        "double",
        "Share of requests using the model as a grader or rubric judge, over 7 days.",
    ),
    _a(
        "template_reuse_share_7d",
        "double",
        "Share of the account's prompts that carry its recurring template when that template's MinHash LSH bucket is used by another customer within the 7 days up to the request's day, over 7 days.",
    ),
    _a(
        "task_breadth_count_7d",
        "long",
        "Distinct task/topic categories covered by the account's prompts over 7 days.",
    ),
    _a(
        "system_prompt_sharing_customers_7d",
        "long",
        "Most other customers (an org counts once) sharing any one of the account's system prompts over 7 days.",
    ),
    _a(
        "content_share_7d",
        "double",
        "Share of requests whose prompt is extraction-shaped by the text model (score >= 0.5) or asks for step-by-step reasoning or grading in any of the curated languages, over 7 days; a bare question that 3 or more customers asked the same day (a class's assignment, a popular prompt) is a crowd's, not the account's.",
    ),
    _a(
        "intent_score_mean_7d",
        "double",
        "Mean extraction-intent score of the text model over the account's requests, 7 days (0 when no text model scored them).",
    ),
    _a(
        "egress_asns_max_1d",
        "long",
        "Most distinct ASNs the account sent from on one day of the 7 (a rotating proxy pool changes networks all day).",
    ),
    _a(
        "egress_countries_max_1d",
        "long",
        "Most distinct request countries on one day of the 7.",
    ),
    _a("api_keys_count_7d", "long", "Distinct API keys the account used over 7 days."),
    _a(
        "customer_api_keys_7d",
        "long",
        "Distinct API keys used by all accounts of the account's customer (its org, or itself) over 7 days.",
    ),
    _a(
        "new_model_share_3d",
        "double",
        "Share of the requests of D-2..D on a model first seen at most 3 days before D and after the lake's first day (0 when none is that new).",
    ),
)

CLUSTER_FEATURES: tuple[FeatureSpec, ...] = (
    _c(
        "cluster_customers_count",
        "long",
        "Distinct customers (an org counts once) in the account's hydra cluster; 1 when unlinked.",
    ),
    _c(
        "cluster_accounts_count",
        "long",
        "Accounts active in the 7 days up to the day in the cluster (or, when unlinked, in the account's own customer).",
    ),
    _c("cluster_output_tokens_sum_1d", "long", "Output tokens of the whole cluster on the day."),
    _c(
        "cluster_volume_cv_1d",
        "double",
        "Coefficient of variation of per-account requests in the cluster on the day (low = load-balanced).",
    ),
    _c(
        "cluster_creation_burst_share",
        "double",
        "Largest share of the cluster's accounts created on one UTC calendar day.",
    ),
    _c(
        "cluster_shared_payment_share",
        "double",
        "Share of the cluster's accounts whose payment fingerprint is shared with another customer.",
    ),
    _c(
        "cluster_shared_ip_share",
        "double",
        "Share of the cluster's accounts that share an egress IP or prefix with another customer.",
    ),
    _c(
        "cluster_template_overlap",
        "double",
        "Mean template_reuse_share_7d over the cluster's accounts.",
    ),
    _c(
        "cluster_synchrony_score",
        "double",
        "Share of the cluster's accounts that acted in a burst slot of extraction traffic together with another customer of the cluster (features.coordination: SynchroTrap-style synchrony).",
    ),
    _c(
        "cluster_cot_share",
        "double",
        "Chain-of-thought prompt share over the cluster's requests, 7 days.",
    ),
    _c("cluster_country_count", "long", "Distinct request countries across the cluster, 7 days."),
    _c("cluster_asn_count", "long", "Distinct ASNs across the cluster, 7 days."),
    _c(
        "cluster_growth_ratio_1d",
        "double",
        "Cluster accounts today / accounts in the same cluster yesterday (1 when new or stable).",
    ),
    _c(
        "cluster_block_density",
        "double",
        "Shared weight per customer of the cluster's dense customer x entity block (Fraudar): the weights of the shared entities a member holds inside the block, each down-weighted by log(customers + 5), averaged over members; 0 when unlinked.",
    ),
    _c(
        "cluster_entity_families",
        "long",
        "How many families of shared entity formed the block (infrastructure, behaviour such as synchronized slots or a model pivot, content such as system prompts and templates); 0 when unlinked.",
    ),
    _c(
        "cluster_content_share",
        "double",
        "Share of the cluster's requests over 7 days that are extraction-shaped (content_share_7d's definition).",
    ),
    _c(
        "cluster_egress_asns_mean",
        "double",
        "Mean over the cluster's accounts of the most ASNs one account sent from on one day (rotating proxy pools).",
    ),
    _c(
        "cluster_new_model_share",
        "double",
        "Mean new_model_share_3d over the cluster's accounts (a network pivoting to a new model).",
    ),
    _c(
        "member_block_weight",
        "double",
        "The account's own shared weight inside its cluster's dense block: the summed column weights of the block's entities its customer holds (cluster_block_density is the members' average); 0 when unlinked.",
    ),
    _c(
        "member_infrastructure_weight",
        "double",
        "member_block_weight from infrastructure entities only (egress addresses and prefixes, payment, sign-up address, e-mail domain); 0 when unlinked.",
    ),
    _c(
        "member_block_families",
        "long",
        "Entity families (infrastructure, behaviour, content) among the block entities the account's customer holds; 0 when unlinked.",
    ),
    _c(
        "member_synced_slots_7d",
        "long",
        "Burst slots of the 7 days in which the account sent extraction content together with another customer of its cluster; 0 when unlinked.",
    ),
    _c(
        "payment_peer_customers",
        "long",
        "Other customers (an org counts once) holding the account's payment instrument (the shared instrument with most of them); 0 when it shares none.",
    ),
    _c(
        "payment_peer_content_share",
        "double",
        "Share of those other customers that are content accounts (content_share_7d >= 0.2 for one of their accounts): an operator's card pays for harvesting accounts, an agency's for ordinary clients; 0 when it shares none.",
    ),
    _c(
        "egress_fleet_share_7d",
        "double",
        "For a content account (content_share_7d >= 0.2), the share of its exit-days (an address on a day) of the 7 days from which at least two other customers sent and at least half of them are content accounts: a proxy pool's member sends from nothing else, a person whose home or phone address is also a residential proxy exit from a few of its days; 0 when it shares no such exit or is no content account.",
    ),
    _c(
        "cohort_size",
        "long",
        "Accounts created in the same hour from the same signup /24 (/48), or created on the same day and woken on the same day after 14+ dormant days, as this one (the larger); 1 when alone.",
    ),
    _c(
        "cohort_sync_share",
        "double",
        "Mean over the account's active minutes of the day of the share of its other cohort members active in the same minute (0 when alone).",
    ),
)

FEATURE_SET = FeatureSet(
    name="hydrasweep_account_day",
    version=7,
    specs=ACCOUNT_FEATURES + CLUSTER_FEATURES,
)
