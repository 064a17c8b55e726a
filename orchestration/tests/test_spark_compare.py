"""The mart comparison behind `make test-spark` (orchestration/spark_compare.py), on plain rows:
it must see a difference wherever one exists, and none where engines only differ in
representation (Decimal vs float, row order, aware vs naive UTC timestamps)."""

import datetime as dt
import decimal

from orchestration.spark_compare import compare_rows

COLUMNS = ["one_id", "amount", "seen_at"]
ROWS = [
    ("p1", decimal.Decimal("10.50"), dt.datetime(2026, 3, 1, 8, 0)),
    ("p2", 3.25, None),
    ("p3", None, dt.datetime(2026, 3, 2, 0, 0)),
]


def test_same_rows_in_another_order_and_representation_are_equal() -> None:
    spark_rows = [
        ("p3", None, dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
        ("p2", 3.25 * (1 + 1e-12), None),
        ("p1", 10.5, dt.datetime(2026, 3, 1, 8, 0)),
    ]
    assert compare_rows(COLUMNS, ROWS, spark_rows) is None


def test_a_changed_value_names_its_column() -> None:
    spark_rows = [ROWS[0], ("p2", 3.26, None), ROWS[2]]
    problem = compare_rows(COLUMNS, ROWS, spark_rows)
    assert problem is not None and problem.startswith("amount: 1 rows differ")


def test_a_null_against_a_value_differs() -> None:
    spark_rows = [ROWS[0], ROWS[1], ("p3", 0.0, dt.datetime(2026, 3, 2, 0, 0))]
    assert "amount" in (compare_rows(COLUMNS, ROWS, spark_rows) or "")


def test_a_missing_or_duplicated_row_differs() -> None:
    assert compare_rows(COLUMNS, ROWS, ROWS[:2]) == "3 rows on DuckDB, 2 on Spark"
    assert compare_rows(COLUMNS, ROWS, [ROWS[0], ROWS[0], ROWS[1]]) is not None


def test_text_is_compared_exactly() -> None:
    assert compare_rows(["tag"], [("a",)], [("a ",)]) is not None


def test_a_stated_tolerance_applies_to_its_column_only() -> None:
    ours = [("p1", 80.94, 1.0)]
    assert compare_rows(["one_id", "aov", "x"], ours, [("p1", 80.95, 1.0)], {"aov": 0.01}) is None
    assert compare_rows(["one_id", "aov", "x"], ours, [("p1", 80.96, 1.0)], {"aov": 0.01}) is not None
    assert compare_rows(["one_id", "aov", "x"], ours, [("p1", 80.94, 1.01)], {"aov": 0.01}) is not None
