"""Dense blocks on inline graphs: a proxy pool is a block, shared egress and a shared card are not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.coordination import member_weights
from features.dense_blocks import DenseBlockParams, dense_blocks, expected_density, find_blocks

WEIGHTS = {"ip": 1.0, "payment_fingerprint": 2.0, "system_prompt": 1.0}
PARAMS = DenseBlockParams(min_density=1.0, min_rows=3)


def _proxy_pool(customers: int, exits: int, days: int, per_day: int, seed: int) -> list[tuple]:
    """Each customer sends through ``per_day`` of the pool's exits on each of ``days`` days."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        for day in range(days):
            for exit_ in rng.choice(exits, size=per_day, replace=False):
                rows.append((f"proxy-{c}", "ip", f"10.9.{exit_}.1@{day}"))
    return rows


def _cloud_egress(customers: int, days: int) -> list[tuple]:
    """Unrelated customers behind one cloud NAT address every day, sharing nothing else."""
    return [
        (f"tenant-{c}", "ip", f"52.1.1.1@{day}") for c in range(customers) for day in range(days)
    ]


def test_a_2000_account_proxy_pool_is_found_and_a_2000_customer_cloud_egress_is_not() -> None:
    memberships = pd.DataFrame(
        _proxy_pool(2000, 40, 7, 3, seed=1) + _cloud_egress(2000, 7),
        columns=["customer_id", "entity_type", "entity_value"],
    )
    members, entities = dense_blocks(memberships, WEIGHTS, PARAMS)
    in_blocks = set(members["customer_id"])
    proxies = {f"proxy-{c}" for c in range(2000)}
    assert len(in_blocks & proxies) >= 0.99 * len(proxies)
    assert not any(c.startswith("tenant-") for c in in_blocks)
    assert members["block"].nunique() == 1
    # The block's evidence is the pool's exits, each shared by many of its customers.
    assert set(entities["entity_value"].str.split("@").str[0]) <= {f"10.9.{e}.1" for e in range(40)}
    # No cap hides a large network: the density grows with how much is shared, not how many.
    assert members["block_density"].iloc[0] > 2 * PARAMS.min_density


def test_an_agency_card_and_a_popular_system_prompt_alone_make_no_block() -> None:
    rows = [(f"client-{c}", "payment_fingerprint", "card-agency") for c in range(50)]
    rows += [(f"user-{c}", "system_prompt", "oss-app-prompt") for c in range(3000)]
    # A few customers share two of them by chance.
    rows += [(f"client-{c}", "system_prompt", "oss-app-prompt") for c in range(3)]
    memberships = pd.DataFrame(rows, columns=["customer_id", "entity_type", "entity_value"])
    members, _ = dense_blocks(memberships, WEIGHTS, PARAMS)
    assert members.empty


def test_a_small_ring_sharing_cards_prompts_and_exits_is_a_block_among_noise() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for c in range(12):  # a ring: 3 cards, 2 exits a day, 1 prompt
        rows.append((f"ring-{c}", "payment_fingerprint", f"card-{c % 3}"))
        rows.append((f"ring-{c}", "system_prompt", "ring-prompt"))
        rows += [(f"ring-{c}", "ip", f"exit-{e}@{d}") for d in range(5) for e in range(2)]
    for c in range(5000):  # background: pairs of strangers sharing one IP once
        rows.append((f"bg-{c}", "ip", f"home-{rng.integers(2500)}@{rng.integers(7)}"))
    memberships = pd.DataFrame(rows, columns=["customer_id", "entity_type", "entity_value"])
    members, _ = dense_blocks(memberships, WEIGHTS, PARAMS)
    assert set(members["customer_id"]) == {f"ring-{c}" for c in range(12)}


def test_peeling_finds_disjoint_blocks_densest_first() -> None:
    # Two cliques of different density over separate columns.
    edges = [(r, c) for r in range(10) for c in range(8)] + [
        (r, c) for r in range(10, 30) for c in range(8, 11)
    ]
    rows = np.asarray([e[0] for e in edges])
    columns = np.asarray([e[1] for e in edges])
    blocks = find_blocks(rows, columns, np.ones(len(edges)), 30, 11, DenseBlockParams(1.0, 3))
    assert [sorted(b.rows.tolist()) for b in blocks] == [list(range(10)), list(range(10, 30))]
    assert blocks[0].density > blocks[1].density
    assert abs(blocks[0].density - 80 / 18) < 1e-9


def test_expected_density_matches_the_docstring_arithmetic() -> None:
    assert 3.5 < expected_density(21, 2000 * 21 / 280) < 4.5


def test_one_shared_exit_never_attaches_a_customer_to_a_block_two_can() -> None:
    # A proxy pool's customers each use 6 of its 12 exits every day of a week.
    rows = _proxy_pool(300, 12, 7, 6, seed=5)
    # Carrier-NAT users who went out through one of the pool's (residential) exits
    # once; a proxy customer that drew only two exits on one day.
    rows += [(f"nat-{c}", "ip", f"10.9.{c % 12}.1@{c % 7}") for c in range(60)]
    rows += [("proxy-late", "ip", "10.9.0.1@3"), ("proxy-late", "ip", "10.9.1.1@3")]
    memberships = pd.DataFrame(rows, columns=["customer_id", "entity_type", "entity_value"])
    strong = DenseBlockParams(min_density=1.0, min_rows=3, attach_share=0.0)
    members, _ = dense_blocks(memberships, WEIGHTS, strong)
    in_blocks = set(members["customer_id"])
    assert {f"proxy-{c}" for c in range(300)} <= in_blocks
    assert "proxy-late" in in_blocks  # two of the block's columns
    assert not any(c.startswith("nat-") for c in in_blocks)  # one column each
    single = DenseBlockParams(min_density=1.0, min_rows=3, attach_share=0.0, attach_min_columns=1)
    loose, _ = dense_blocks(memberships, WEIGHTS, single)
    assert any(
        c.startswith("nat-") for c in loose["customer_id"]
    )  # the guard is what keeps them out


def test_a_member_attached_by_two_exits_holds_its_own_weight_not_the_blocks() -> None:
    # A proxy pool's customers share exits every day and one card among them; a tutoring
    # app's cloud egress went out through two of the pool's exits on one day.
    rows = _proxy_pool(200, 12, 7, 4, seed=6)
    rows += [(f"proxy-{c}", "payment_fingerprint", f"card-{c % 20}") for c in range(200)]
    rows += [("tutor", "ip", "10.9.0.1@2"), ("tutor", "ip", "10.9.1.1@2")]
    rows += [
        ("tutor", "system_prompt", "tutor-prompt"),
        ("tutor-2", "system_prompt", "tutor-prompt"),
    ]
    memberships = pd.DataFrame(rows, columns=["customer_id", "entity_type", "entity_value"])
    members, entities = dense_blocks(
        memberships, WEIGHTS, DenseBlockParams(min_density=1.0, min_rows=3, attach_share=0.0)
    )
    assert "tutor" in set(members["customer_id"])  # two of the block's columns attach it
    own = member_weights(memberships, members, entities).set_index("customer_id")
    pool = own.drop(index="tutor")
    # the block's density is the pool's; the tutor's own part is two exits of one day
    density = members.set_index("customer_id").loc["tutor", "block_density"]
    assert own.loc["tutor", "member_block_weight"] < 0.2 * density
    assert pool["member_block_weight"].median() > 0.8 * density
    assert own.loc["tutor", "member_block_families"] == 1  # infrastructure only
    assert (pool["member_infrastructure_weight"] == pool["member_block_weight"]).all()
    # the prompt it shares with its sibling app is not the block's: it adds nothing
    assert (
        own.loc["tutor", "member_infrastructure_weight"] == own.loc["tutor", "member_block_weight"]
    )
