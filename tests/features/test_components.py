"""Connected components in DataFrames agree with networkx on random graphs."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.components import EDGE_SCHEMA, connected_components


def reference_components(edges: list[tuple[str, str]]) -> dict[str, str]:
    graph = nx.Graph()
    graph.add_edges_from((a, b) for a, b in edges if a != b)
    return {
        node: min(component) for component in nx.connected_components(graph) for node in component
    }


def spark_components(spark, edges: list[tuple[str, str]], **kwargs) -> dict[str, str]:
    frame = spark.createDataFrame(edges, EDGE_SCHEMA)
    return {
        row["node"]: row["component"] for row in connected_components(frame, **kwargs).collect()
    }


def test_chain_star_and_isolated_pair(spark) -> None:
    # A long chain needs several rounds; a self-loop alone is not a component.
    edges = [
        ("n9", "n8"),
        ("n8", "n7"),
        ("n7", "n6"),
        ("n6", "n5"),
        ("n5", "n4"),
        ("n4", "n3"),
        ("n3", "n2"),
        ("n2", "n1"),
        ("b", "a"),
        ("a", "b"),
        ("x", "x"),
    ]
    expected = {f"n{i}": "n1" for i in range(1, 10)} | {"a": "a", "b": "a"}
    assert spark_components(spark, edges, checkpoint_interval=1) == expected


def test_no_edges_gives_no_components(spark) -> None:
    assert spark_components(spark, []) == {}


node_ids = st.integers(min_value=0, max_value=40).map(lambda i: f"c{i:03d}")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(node_ids, node_ids), min_size=0, max_size=60))
def test_matches_networkx_on_random_graphs(spark, edges: list[tuple[str, str]]) -> None:
    assert spark_components(spark, edges) == reference_components(edges)
