"""A unit's configuration: defaults < unit YAML < environment, and errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT_DIR, UnitFactory

from reportgen.config import ConfigErrors, UnitConfig, load_unit_config
from reportgen.errors import ConfigError


def test_unit_file_overrides_defaults_file(write_unit: UnitFactory) -> None:
    path = write_unit(
        defaults={"cleaning": {"unknown_description": "n/a", "non_product_codes": ["POST"]}},
        cleaning={"non_product_codes": ["X"]},
    )
    config = load_unit_config(path)
    assert config.cleaning.non_product_codes == ["X"]
    assert config.cleaning.unknown_description == "n/a"


def test_environment_overrides_unit_file(
    write_unit: UnitFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_unit(title="From YAML")
    monkeypatch.setenv("REPORTGEN_TITLE", "From environment")
    monkeypatch.setenv("REPORTGEN_SOURCE__ENCODING", "latin-1")
    config = load_unit_config(path)
    assert config.title == "From environment"
    assert config.source.encoding == "latin-1"


def test_relative_source_path_resolves_from_the_yaml_folder(write_unit: UnitFactory) -> None:
    path = write_unit()
    assert load_unit_config(path).source.path == (path.parent / "transactions.parquet").resolve()


def test_unknown_key_in_unit_file_names_the_file_and_key(write_unit: UnitFactory) -> None:
    path = write_unit(source={"path": "x.csv", "colums": {}})
    with pytest.raises(ConfigError) as caught:
        load_unit_config(path)
    line = caught.value.one_line()
    assert str(path) in line and "unknown key 'source.colums'" in line


def test_unknown_key_in_defaults_names_the_defaults_file(write_unit: UnitFactory) -> None:
    path = write_unit(defaults={"rfm": {"monetry": "net"}})
    with pytest.raises(ConfigError) as caught:
        load_unit_config(path)
    assert str(path.parent / "defaults.yaml") in caught.value.one_line()
    assert "rfm.monetry" in caught.value.one_line()


def test_every_problem_is_collected(write_unit: UnitFactory) -> None:
    path = write_unit(currency="pounds", bogus=1, unit="Bad Name")
    with pytest.raises(ConfigErrors) as caught:
        load_unit_config(path)
    messages = " | ".join(p.one_line() for p in caught.value.problems)
    assert len(caught.value.problems) == 3
    assert "currency" in messages and "bogus" in messages and "'unit'" in messages


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text("unit: u\ntitle: U\ncurrency: GBP\n")
    with pytest.raises(ConfigError, match="missing required key 'source'"):
        load_unit_config(path)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text("unit: u\ntitle: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_unit_config(path)
    assert str(path) in caught.value.one_line() and "line" in caught.value.one_line()


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_unit_config(tmp_path / "nope.yaml")


def test_segment_map_must_cover_every_score_pair(write_unit: UnitFactory) -> None:
    path = write_unit(rfm={"segments": [{"name": "all_but_one", "r": [1, 2, 3, 4, 5],
                                         "f": [1, 2, 3, 4]}]})
    with pytest.raises(ConfigError, match="R1F5, R2F5, R3F5, R4F5, R5F5"):
        load_unit_config(path)


def test_shipped_configs_are_valid() -> None:
    for name in ("uk.yaml", "demo.yaml"):
        config = load_unit_config(PROJECT_DIR / "config" / name)
        assert isinstance(config, UnitConfig)
    uk = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    assert uk.filters.countries == ["United Kingdom"]
    assert uk.source.columns.customer_id == "CustomerID"


def test_shipped_defaults_repeat_the_spec_segment_map() -> None:
    from reportgen.config import RfmConfig

    uk = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    spec = RfmConfig()
    assert [(s.name, s.r, s.f) for s in uk.rfm.segments] == [
        (s.name, s.r, s.f) for s in spec.segments
    ]


def test_a_currency_outside_iso_4217_is_refused(write_unit: UnitFactory) -> None:
    path = write_unit(currency="XYZ")
    with pytest.raises(ConfigError, match="'XYZ' is not an ISO 4217 currency code"):
        load_unit_config(path)
    assert load_unit_config(write_unit(currency="SEK")).currency == "SEK"


def test_targets_are_one_value_or_one_per_month(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(targets={
        "revenue": {"2024-12": 70_000, "2025-01": 60_000}, "new_customers": 20}))
    targets = config.targets
    assert targets.for_month("revenue", "2024-12") == 70_000
    assert targets.for_month("revenue", "2025-02") is None
    assert targets.for_month("new_customers", "2031-07") == 20
    assert targets.for_month("active_customers", "2024-12") is None


def test_a_target_month_not_written_yyyy_mm_is_named(write_unit: UnitFactory) -> None:
    with pytest.raises(ConfigError, match=r"targets\.revenue.*YYYY-MM, not Dec 2024"):
        load_unit_config(write_unit(targets={"revenue": {"Dec 2024": 70_000}}))
