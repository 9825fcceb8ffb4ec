"""The test run's scheduling: one worker per file, every Spark file on the same worker."""

from xdist_files import SPARK, scope_of


def test_a_file_is_one_unit_of_work_whatever_its_parameters() -> None:
    ids = [
        "tests/web/test_api.py::test_one",
        "tests/web/test_api.py::test_two[admin-/v1/x::y]",
        "tests/web/test_api.py::TestClass::test_three",
    ]
    assert {scope_of(i) for i in ids} == {"tests/web/test_api.py"}
    assert scope_of("tests/web/test_view_me.py::test_one") == "tests/web/test_view_me.py"


def test_every_spark_file_shares_one_unit() -> None:
    ids = [
        "tests/warehouse/test_spark.py::test_spark_answers_like_duckdb[usage_rate]",
        "tests/warehouse/test_spark_lake.py::test_reuse",
        "tests/warehouse/test_spark_parity.py::test_metrics_match_on_duckdb_and_spark",
    ]
    assert {scope_of(i) for i in ids} == {SPARK}
    # A file merely mentioning Spark elsewhere in its path is not a Spark test file.
    assert scope_of("tests/spark_notes/test_other.py::t") == "tests/spark_notes/test_other.py"
