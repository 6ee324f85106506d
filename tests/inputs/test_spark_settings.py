"""The Spark session's settings (no Java needed): reportgen's, then memory for a local master,
then the unit's options, which win."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from reportgen.config import load_unit_config
from reportgen.errors import EngineError, InputError
from reportgen.inputs import spark
from reportgen.inputs.load import read_transactions


def test_a_local_master_gets_half_the_free_memory_and_the_units_options_win(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark, "available_memory", lambda: 20 * 2**30)
    settings = spark.session_settings("local[2]", {"spark.sql.shuffle.partitions": "2"})
    assert settings["spark.driver.memory"] == "10g"
    assert settings["spark.sql.shuffle.partitions"] == "2"
    assert settings["spark.sql.session.timeZone"] == "UTC"
    mine = spark.session_settings("local[*]", {"spark.driver.memory": "3g"})
    assert mine["spark.driver.memory"] == "3g"


def test_a_cluster_master_keeps_the_clusters_memory_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark, "available_memory", lambda: 20 * 2**30)
    assert "spark.driver.memory" not in spark.session_settings("spark://host:7077", {})
    monkeypatch.setattr(spark, "available_memory", lambda: None)
    assert "spark.driver.memory" not in spark.session_settings("local[2]", {})


def test_a_failed_spark_job_is_one_line_naming_the_unit_and_master(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pyspark.errors import PySparkException

    def out_of_memory(*_: object) -> None:
        raise PySparkException("[AGGREGATE_OUT_OF_MEMORY] No enough memory for aggregation\n"
                               "JVM stacktrace: ...")

    monkeypatch.setattr(spark, "spark_session", lambda *_: object())
    monkeypatch.setattr(spark, "read_on_spark", out_of_memory)
    (tmp_path / "unit.yaml").write_text(
        "unit: lake\ntitle: Lake\ncurrency: GBP\nengine: spark\n"
        "spark:\n  master: spark://host:7077\nsource:\n  path: s3a://bucket/lines/\n")
    with pytest.raises(EngineError) as caught:
        spark.clean_with_spark(load_unit_config(tmp_path / "unit.yaml"), datetime(2024, 1, 1))
    assert caught.value.exit_code == 9
    assert caught.value.one_line().startswith(
        "lake: the Spark job failed on spark://host:7077: [AGGREGATE_OUT_OF_MEMORY] No enough "
        "memory for aggregation; give Spark more memory")
    assert "\n" not in caught.value.one_line()


def test_a_url_source_stays_a_url_for_spark_and_polars_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "unit.yaml").write_text(
        "unit: lake\ntitle: Lake\ncurrency: GBP\nsource:\n  path: s3a://bucket/year=*/\n")
    config = load_unit_config(tmp_path / "unit.yaml")
    assert spark.spark_source(config)[1] == "s3a://bucket/year=*/"
    with pytest.raises(InputError, match="a URL is read by engine: spark only"):
        read_transactions(config)
    (tmp_path / "local.yaml").write_text(
        "unit: here\ntitle: Here\ncurrency: GBP\nsource:\n  path: data/lines.parquet\n")
    local = load_unit_config(tmp_path / "local.yaml")
    assert spark.spark_source(local)[1] == str(tmp_path / "data" / "lines.parquet")


@pytest.mark.parametrize(("encoding", "charset"), [
    ("latin-1", "ISO-8859-1"), ("utf8", "UTF-8"), ("UTF-16-LE", "UTF-16LE"), ("cp1252", "cp1252"),
    ("windows-1252", "cp1252")])
def test_python_codec_names_become_java_charsets(tmp_path: Path, encoding: str,
                                                  charset: str) -> None:
    (tmp_path / "unit.yaml").write_text(
        "unit: shop\ntitle: Shop\ncurrency: GBP\nengine: spark\n"
        f"source:\n  path: lines.csv\n  encoding: {encoding}\n")
    assert spark.java_charset(load_unit_config(tmp_path / "unit.yaml")) == charset


def test_an_unknown_encoding_is_named(tmp_path: Path) -> None:
    (tmp_path / "unit.yaml").write_text(
        "unit: shop\ntitle: Shop\ncurrency: GBP\nsource:\n  path: lines.csv\n  encoding: klingon\n")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        spark.java_charset(load_unit_config(tmp_path / "unit.yaml"))
