"""Connected components in DataFrames agree with networkx on random graphs."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.components import EDGE_SCHEMA, components_of_edges, connected_components

# driver_edges=0 forces the distributed rounds; the default solves these small
# graphs on the driver. Both must give networkx's answer.
PATHS = pytest.mark.parametrize("driver_edges", [0, 10_000], ids=["distributed", "driver"])


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


@PATHS
def test_chain_star_and_isolated_pair(spark, driver_edges: int) -> None:
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
    assert (
        spark_components(spark, edges, checkpoint_interval=1, driver_edges=driver_edges) == expected
    )


@PATHS
def test_no_edges_gives_no_components(spark, driver_edges: int) -> None:
    assert spark_components(spark, [], driver_edges=driver_edges) == {}


def test_graph_above_the_driver_limit_takes_the_distributed_rounds(spark, monkeypatch) -> None:
    import features.components as components

    def refuse(edges):
        raise AssertionError("solved on the driver above the limit")

    monkeypatch.setattr(components, "components_of_edges", refuse)
    edges = [(f"c{i}", f"c{i + 1}") for i in range(5)]
    assert spark_components(spark, edges, driver_edges=4) == {f"c{i}": "c0" for i in range(6)}


node_ids = st.integers(min_value=0, max_value=40).map(lambda i: f"c{i:03d}")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(node_ids, node_ids), min_size=0, max_size=60))
def test_matches_networkx_on_random_graphs(spark, edges: list[tuple[str, str]]) -> None:
    expected = reference_components(edges)
    assert spark_components(spark, edges, driver_edges=0) == expected
    assert spark_components(spark, edges) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(node_ids, node_ids), min_size=0, max_size=80))
def test_union_find_matches_networkx(edges: list[tuple[str, str]]) -> None:
    assert components_of_edges(edges) == reference_components(edges)


def test_union_find_orders_node_ids_as_spark_does(spark) -> None:
    # Non-ASCII ids: the smallest node must be Spark's smallest (UTF-8 byte order).
    edges = [("é", "z"), ("z", "ÿ"), ("ÿ", "\u4e00"), ("\U0001f600", "\u4e00")]
    assert spark_components(spark, edges) == spark_components(spark, edges, driver_edges=0)
