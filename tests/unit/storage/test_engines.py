"""The storage facade answers alike on both engines (SQLite through sqlite-utils, PostgreSQL through
psycopg): the PostgreSQL-named functions, rows as dicts, the schema's tables and columns, nested
transactions; and SQLite's transactions take the write lock at once."""

from __future__ import annotations

import sqlite3

import pytest

from storage.engines import connect


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("strpos('kling-v3', 'v3')", 7),
        ("strpos('kling-v3', 'sora')", 0),
        ("strpos(NULL, 'sora')", None),
        ("greatest(1, 3)", 3),
        ("greatest(NULL, 2)", 2),
        ("greatest(NULL, NULL)", None),
    ],
)
def test_the_postgresql_named_functions_answer_alike(fresh_db, expression, value):
    assert fresh_db.query(f"SELECT {expression} AS v") == [{"v": value}]


def test_query_gives_dicts_and_names_a_repeated_column_apart(fresh_db):
    assert fresh_db.query("SELECT 1 AS a, 2 AS a, 3 AS b") == [{"a": 1, "a_2": 2, "b": 3}]
    rows = fresh_db.query(
        "INSERT INTO deliveries (key, kind, at) VALUES (?, ?, ?) RETURNING key", ["E1", "e", ""]
    )
    assert rows == [{"key": "E1"}] and fresh_db["deliveries"].rows_where("key = ?", ["E1"])


def test_query_refuses_a_statement_that_returns_no_rows(fresh_db):
    with pytest.raises(ValueError, match="execute"):
        fresh_db.query("DELETE FROM deliveries WHERE key = ?", ["none"])


def test_tables_and_columns_are_described_alike(fresh_db):
    assert {"jobs", "takes", "shots", "meta", "schema_migrations"} <= set(fresh_db.table_names())
    assert fresh_db.table_names() == sorted(fresh_db.table_names())
    assert fresh_db["meta"].columns_dict == {"key": str, "value": str, "at": str}
    assert fresh_db["slack_buckets"].columns_dict["tokens"] is float
    assert fresh_db["takes"].columns_dict["id"] is int
    assert fresh_db["no_such_table"].columns_dict == {}


def test_a_nested_transaction_that_fails_undoes_only_its_own_writes(fresh_db):
    with fresh_db.atomic():
        fresh_db.execute("INSERT INTO deliveries (key, kind, at) VALUES ('outer', 'e', '')")
        with pytest.raises(RuntimeError), fresh_db.atomic():
            fresh_db.execute("INSERT INTO deliveries (key, kind, at) VALUES ('inner', 'e', '')")
            raise RuntimeError("undo")
    assert [r["key"] for r in fresh_db["deliveries"].rows] == ["outer"]


def test_sqlite_opens_in_wal_and_a_transaction_holds_the_write_lock_from_its_start(tmp_path):
    db = connect(tmp_path / "d.db")
    assert db.lite.journal_mode == "wal"
    other = sqlite3.connect(tmp_path / "d.db", timeout=0, isolation_level=None)
    try:
        with db.atomic():
            db.query("SELECT count(*) AS n FROM jobs")  # only a read so far
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again at commit
        other.execute("ROLLBACK")
    finally:
        other.close()
        db.close()
