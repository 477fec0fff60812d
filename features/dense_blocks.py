"""Dense customer x entity blocks (Fraudar, Hooi et al., KDD 2016), instead of hub caps.

A hydra network is many customers sharing many things: exit IPs of one proxy
pool day after day, a few payment cards, sign-up addresses, system prompts,
template buckets, the minutes its scheduler fires. Ordinary sharing is one
thing shared by many strangers: a carrier NAT address, a cloud egress, a
popular app's system prompt, an agency's card. Caps on how many customers an
entity may link (the old rule: an IP shared by more than 300 customers was
ignored) hide exactly the largest network; here no entity is ignored. Instead:

**The graph.** Rows are customers (an org counts once), columns are entities;
an edge says the customer used the entity in the window. Only entities held by
two or more customers can tie anyone, so only they are columns.

**How a block is scored.** An entity held by ``d`` customers weighs
``type_weight / log(d + 5)`` (Fraudar's column weighting: a popular entity is
mostly camouflage-proof evidence of nothing, a specific one of much; the 5
keeps weights finite for d = 2). A set ``S`` of rows and columns scores its
*density* ``g(S) = (sum of the weights of its edges) / (|rows| + |columns|)``:
the weight each node carries on average. A proxy pool of 2,000 fresh
accounts each using 20 of its exits over a week forms a block of density ~6
(20 edges of weight ~0.2 per account, few columns), while a cloud egress shared
by 2,000 unrelated customers is one column of weight 0.13 with density ~0.13:
a block is suspicious because its members share *much*, not because many
share something.

**How blocks are found.** Fraudar's greedy peeling: repeatedly drop the node
(row or column) of least weighted degree inside what is left, and keep the
densest intermediate set. Batched so that a round is one vectorised pass: each
round drops every node whose degree is below the current density (dropping one
such node always raises the density) and at least the ``epsilon`` share of live
nodes with the least degree, so there are O(log n / epsilon) rounds. Its rows are then removed and the search repeats, until the next
block is below ``min_density`` or smaller than ``min_rows`` customers, or
``max_blocks`` were found. Each found block keeps only columns that at least
two of its rows use, and takes in every remaining row whose weight into those
columns reaches ``attach_share`` of the block's density *through at least
``attach_min_columns`` of them*. The share lets in members a batched peeling
round dropped early or that drew fewer of the pool's exits or burst minutes
this week (a low-and-slow account in two bursts a day sits well below the
block's average; at a share of 1.0, a third of such a synthetic campaign was
left out). The column count is the guard against single-link chaining: one
shared thing never attaches anyone (measured on a tuning seed without it:
carrier-NAT and open-source users who touched one residential exit of a proxy
pool joined its block). Everything runs on the driver in numpy, on the edges of
shared entities only (a few hundred thousand on a million-request day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEGREE_OFFSET = 5.0  # Fraudar's column weight 1 / log(d + c), c = 5


@dataclass(frozen=True)
class DenseBlockParams:
    # Stop searching once the densest remaining set is below this (the candidates it finds
    # are judged by their shared weight per member, ``Block.shared_weight``).
    min_density: float = 0.5
    min_rows: int = 3
    max_blocks: int = 200
    epsilon: float = 0.02
    attach_share: float = 0.5  # of the block's density (module docstring)
    attach_min_columns: int = 2  # one shared entity never attaches a customer


@dataclass(frozen=True)
class Block:
    rows: np.ndarray  # row (customer) indices
    columns: np.ndarray  # column (entity) indices
    density: float  # Fraudar's g: edge weight over rows + columns, what the peeling maximised
    weight: float  # sum of edge weights inside the block

    @property
    def shared_weight(self) -> float:
        """Edge weight per member: how much each customer shares with the others, on average.

        Fraudar's density counts the entities as nodes too, so a ring of three sharing
        ten things scores lower than a thousand sharing the same ten; per member, both
        share as much. This is the block's score a reviewer and the evidence read.
        """
        return self.weight / max(self.rows.size, 1)


def column_weights(column_degree: np.ndarray, type_weight: np.ndarray) -> np.ndarray:
    """``type_weight / log(d + 5)`` per column (``d`` its number of rows)."""
    return type_weight / np.log(column_degree.astype(np.float64) + DEGREE_OFFSET)


def _densest(
    rows: np.ndarray,
    columns: np.ndarray,
    weights: np.ndarray,
    alive_rows: np.ndarray,
    alive_columns: np.ndarray,
    epsilon: float,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Batched greedy peeling on the live part of the graph: (row mask, column mask, g, f)."""
    row_alive = alive_rows.copy()
    column_alive = alive_columns.copy()
    best = (row_alive.copy(), column_alive.copy(), -1.0, 0.0)
    n_rows, n_columns = row_alive.size, column_alive.size
    while row_alive.any() or column_alive.any():
        live = row_alive[rows] & column_alive[columns]
        live_weights = weights[live]
        total = float(live_weights.sum())
        size = int(row_alive.sum() + column_alive.sum())
        if size == 0:
            break
        density = total / size
        if density > best[2]:
            best = (row_alive.copy(), column_alive.copy(), density, total)
        row_degree = np.bincount(rows[live], weights=live_weights, minlength=n_rows)
        column_degree = np.bincount(columns[live], weights=live_weights, minlength=n_columns)
        # Fraudar drops the node of least weighted degree, one at a time; in batches:
        # every node below the density (removing one raises the density), and at
        # least the ``epsilon`` share of live nodes with the least degree. Rows and
        # columns compete on the same scale, so a popular entity stays while its
        # customers do and goes once they have left.
        degrees = np.concatenate(
            [np.where(row_alive, row_degree, np.inf), np.where(column_alive, column_degree, np.inf)]
        )
        batch = max(1, int(epsilon * size))
        cut = max(density, float(np.partition(degrees, batch - 1)[batch - 1]))
        drop = degrees <= cut
        drop_rows = drop[:n_rows]
        drop_columns = drop[n_rows:]
        row_alive &= ~drop_rows
        column_alive &= ~drop_columns
    return best


def find_blocks(
    rows: np.ndarray,
    columns: np.ndarray,
    weights: np.ndarray,
    n_rows: int,
    n_columns: int,
    params: DenseBlockParams,
) -> list[Block]:
    """Disjoint dense blocks of the weighted bipartite graph, densest first.

    ``rows``, ``columns``, ``weights``: one entry per edge (row index, column
    index, its column's weight). A block's rows are removed before the next
    search; columns stay available (two networks may use the same entity).
    """
    blocks: list[Block] = []
    alive_rows = np.zeros(n_rows, dtype=bool)
    alive_rows[np.unique(rows)] = True
    alive_columns = np.ones(n_columns, dtype=bool)
    while len(blocks) < params.max_blocks and alive_rows.sum() >= params.min_rows:
        row_mask, column_mask, density, total = _densest(
            rows, columns, weights, alive_rows, alive_columns, params.epsilon
        )
        if density < params.min_density:
            break
        inside = row_mask[rows] & column_mask[columns]
        # Keep the columns the block's rows really share (two or more of them use it).
        shared = np.bincount(columns[inside], minlength=n_columns) >= 2
        core_columns = column_mask & shared
        # A batched round may drop rows that one-at-a-time peeling would have kept
        # (a proxy account that drew fewer exits this week); any live row whose weight
        # into the block's columns is at least ``attach_share`` of the density, through
        # two or more of them, joins it.
        into = alive_rows[rows] & core_columns[columns]
        attached = np.bincount(rows[into], weights=weights[into], minlength=n_rows)
        attached_columns = np.bincount(rows[into], minlength=n_rows)  # edges are distinct
        joins = (attached >= params.attach_share * density) & (
            attached_columns >= params.attach_min_columns
        )
        row_mask = alive_rows & (row_mask | joins)
        inside = row_mask[rows] & core_columns[columns]
        block_rows = np.unique(rows[inside])
        if block_rows.size >= params.min_rows:
            blocks.append(
                Block(
                    rows=block_rows,
                    columns=np.unique(columns[inside]),
                    density=density,
                    weight=float(weights[inside].sum()),
                )
            )
        # Remove every row of the densest set found, even a block too small to keep,
        # so the search moves on.
        alive_rows &= ~row_mask
        if not row_mask.any():
            break
    return blocks


def dense_blocks(
    memberships: pd.DataFrame, type_weights: dict[str, float], params: DenseBlockParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dense blocks of ``memberships`` (``customer_id, entity_type, entity_value``).

    Returns ``(members, entities)``: ``members`` has ``block, customer_id,
    block_density`` (the block's shared weight per member, ``Block.shared_weight``),
    ``block_customers, block_entities`` (one row per customer in a block), ``entities`` has ``block, entity_type, entity_value, customers,
    weight`` (the shared entities inside each block, with their column weight).
    Blocks are numbered 0.. densest first. Entity types without a weight are
    ignored.
    """
    # Rows arrive from Spark in no particular order; sorted, the node numbering and the
    # order of every floating-point sum are the same on every run of the same day.
    frame = (
        memberships[["customer_id", "entity_type", "entity_value"]]
        .astype({"entity_value": str})
        .drop_duplicates()
        .sort_values(["customer_id", "entity_type", "entity_value"], kind="stable")
        .reset_index(drop=True)
    )
    frame = frame[frame["entity_type"].isin(list(type_weights))]
    keys = frame["entity_type"] + "\x1f" + frame["entity_value"].astype(str)
    degree = keys.map(keys.value_counts())
    frame = frame[degree.to_numpy() >= 2]
    keys = keys[degree.to_numpy() >= 2]
    empty_members = pd.DataFrame(
        columns=["block", "customer_id", "block_density", "block_customers", "block_entities"]
    )
    empty_entities = pd.DataFrame(
        columns=["block", "entity_type", "entity_value", "customers", "weight"]
    )
    if frame.empty:
        return empty_members, empty_entities
    row_codes, row_names = pd.factorize(frame["customer_id"], sort=True)
    column_codes, column_names = pd.factorize(keys, sort=True)
    column_degree = np.bincount(column_codes)
    column_types = pd.Series(column_names).str.split("\x1f", n=1).str[0]
    type_weight = column_types.map(type_weights).to_numpy(dtype=np.float64)
    weight_of_column = column_weights(column_degree, type_weight)
    blocks = find_blocks(
        row_codes.astype(np.int64),
        column_codes.astype(np.int64),
        weight_of_column[column_codes],
        len(row_names),
        len(column_names),
        params,
    )
    if not blocks:
        return empty_members, empty_entities
    members = pd.DataFrame(
        {
            "block": np.concatenate([np.full(b.rows.size, i) for i, b in enumerate(blocks)]),
            "customer_id": np.concatenate([np.asarray(row_names)[b.rows] for b in blocks]),
            "block_density": np.concatenate(
                [np.full(b.rows.size, b.shared_weight) for b in blocks]
            ),
            "block_customers": np.concatenate([np.full(b.rows.size, b.rows.size) for b in blocks]),
            "block_entities": np.concatenate(
                [np.full(b.rows.size, b.columns.size) for b in blocks]
            ),
        }
    )
    parts = pd.Series(np.asarray(column_names)).str.split("\x1f", n=1)
    entity_type = parts.str[0].to_numpy()
    entity_value = parts.str[1].to_numpy()
    entities = pd.DataFrame(
        {
            "block": np.concatenate([np.full(b.columns.size, i) for i, b in enumerate(blocks)]),
            "entity_type": np.concatenate([entity_type[b.columns] for b in blocks]),
            "entity_value": np.concatenate([entity_value[b.columns] for b in blocks]),
            "customers": np.concatenate([column_degree[b.columns] for b in blocks]),
            "weight": np.concatenate([weight_of_column[b.columns] for b in blocks]),
        }
    )
    return members, entities


def expected_density(edges_per_row: float, column_degree: float, type_weight: float = 1.0) -> float:
    """Density of a block whose rows each hold ``edges_per_row`` columns of degree ``d``
    (columns many fewer than rows): for reasoning about thresholds in docs and tests."""
    return edges_per_row * type_weight / math.log(column_degree + DEGREE_OFFSET)
