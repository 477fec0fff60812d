"""Label parsing: bad lines are counted and named, the latest known label wins."""

from __future__ import annotations

from datetime import date

import pandas as pd

from lakeio import open_store
from models.labels import labels_known_at, parse_label_lines, read_labels


def test_bad_lines_are_counted_and_skipped_never_raised(caplog) -> None:
    content = b"\n".join(
        [
            b'{"account_id": "a1", "label": 1, "labeled_at": "2026-03-05", "source": "enforcement"}',
            b'{"account_id": "a2", "label": 0, "labeled_at": "2026-03-05T23:59:00+02:00"}',
            b"",  # blank lines are not records
            b'{"account_id": "a3", "label": 1, "labeled_at": "2026-03-0',
            b'{"account_id": "a4", "label": true, "labeled_at": "2026-03-05", "source": "x"}',
            b'{"account_id": "a5", "label": 2, "labeled_at": "2026-03-05", "source": "x"}',
            b'{"label": 1, "labeled_at": "2026-03-05", "source": "x"}',
            b'{"account_id": "a6", "label": 1, "labeled_at": "soon", "source": "x"}',
            b"[1, 2]",
        ]
    )
    parsed = parse_label_lines({"labels/a.jsonl": content})
    assert parsed.bad_lines == 6
    assert parsed.bad_examples[0].startswith("labels/a.jsonl:4: ")
    assert "skipped 6 bad label line(s) of 8" in caplog.text
    expected = pd.DataFrame(
        {
            "account_id": ["a1", "a2"],
            "label": [1, 0],
            "labeled_at": pd.to_datetime(
                ["2026-03-05T00:00:00Z", "2026-03-05T21:59:00Z"], utc=True
            ),
            "source": ["enforcement", None],
        }
    )
    pd.testing.assert_frame_equal(parsed.frame, expected, check_dtype=False)


def test_latest_label_known_at_the_cutoff_wins() -> None:
    labels = parse_label_lines(
        {
            "labels/x.jsonl": b"\n".join(
                [
                    b'{"account_id": "a", "label": 1, "labeled_at": "2026-03-01", "source": "enforcement"}',
                    b'{"account_id": "a", "label": 0, "labeled_at": "2026-03-04T08:00:00Z", "source": "appeal"}',
                    b'{"account_id": "b", "label": 1, "labeled_at": "2026-03-03T23:59:59Z", "source": "review"}',
                    b'{"account_id": "c", "label": 1, "labeled_at": "2026-03-04T00:00:00Z", "source": "review"}',
                ]
            )
        }
    ).frame
    at_3rd = labels_known_at(labels, date(2026, 3, 3))
    assert at_3rd[["account_id", "label"]].values.tolist() == [["a", 1], ["b", 1]]
    at_4th = labels_known_at(labels, date(2026, 3, 4))
    assert sorted(at_4th[["account_id", "label"]].values.tolist()) == [["a", 0], ["b", 1], ["c", 1]]


def test_read_labels_reads_only_jsonl_files_of_the_labels_prefix(tmp_path) -> None:
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "one.jsonl").write_text(
        '{"account_id": "a", "label": 1, "labeled_at": "2026-03-01", "source": "s"}\n'
    )
    (tmp_path / "labels" / "notes.txt").write_text("not labels")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.jsonl").write_text(
        '{"account_id": "z", "label": 1, "labeled_at": "2026-03-01", "source": "s"}\n'
    )
    parsed = read_labels(open_store(str(tmp_path)))
    assert parsed.frame["account_id"].tolist() == ["a"]
    assert parsed.bad_lines == 0
