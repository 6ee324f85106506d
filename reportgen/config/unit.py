"""A business unit's configuration as one model: every section, with its defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from reportgen.config.analysis import (
    BehaviourConfig,
    ClusterConfig,
    ClvConfig,
    CohortConfig,
    MeasurementConfig,
    RfmConfig,
    SuggestionsConfig,
)
from reportgen.config.base import ENV_PREFIX, StrictModel, ZoneName
from reportgen.config.cleaning import CleaningConfig, FilterConfig
from reportgen.config.delivery import DeliveryConfig
from reportgen.config.economics import EconomicsConfig
from reportgen.config.playbook import PlaybookOptions
from reportgen.config.source import SourceConfig
from reportgen.config.targets import TargetsConfig
from reportgen.currencies import known_currency


class SparkConfig(StrictModel):
    """Where engine: spark runs: Spark's master URL and session options. Credentials for the
    cluster and its storage stay in Spark's own configuration (spark-defaults.conf, the
    environment, the cluster's identity), never in the unit's file."""

    master: str = Field("local[*]", min_length=1, description="Spark master URL: local[*] "
                        "(this machine's cores), spark://host:7077, yarn, k8s://https://host.")
    options: dict[str, str] = Field(
        default_factory=dict, description="Spark settings for the session, e.g. "
        "spark.executor.memory: 8g (they override reportgen's, see inputs/spark.py).")


class ReportConfig(StrictModel):
    """Presentation options."""

    organisation: str = Field("", description="Organisation name shown on the cover page.")
    timezone: ZoneName | None = Field(
        None, description="The unit's local time zone (an IANA name such as Europe/London): "
        "every day, hour and month of the report (daypart, peak hour, the period's boundaries) "
        "is local time there. Default: source.timezone, that is the times as written.")
    pdf: Literal["board", "full"] = Field(
        "board", description="What report.pdf holds: board, the pack management reads (the "
        "summary, actions and the chapters that lead to them, with a short appendix: data "
        "quality, method, glossary); full, every chapter, with the analyses in detail (models, "
        "backtests, cluster selection) in the appendix. report.html always holds everything.")


class UnitConfig(BaseSettings):
    """One business unit's report configuration."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    unit: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Identifier used in output paths (lowercase letters, digits, - and _).",
    )
    title: str = Field(min_length=1, description="Name of the business unit shown in the report.")
    currency: str = Field(
        pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the amounts, e.g. GBP, USD, EUR."
    )
    source: SourceConfig = Field(description="The transaction input.")
    filters: FilterConfig = Field(default_factory=FilterConfig, description="Row filters.")
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig, description="Cleaning rules.")
    rfm: RfmConfig = Field(default_factory=RfmConfig, description="RFM options.")
    clv: ClvConfig = Field(default_factory=ClvConfig, description="Customer lifetime value.")
    cohorts: CohortConfig = Field(default_factory=CohortConfig, description="Cohort options.")
    clusters: ClusterConfig = Field(default_factory=ClusterConfig, description="K-Means clusters.")
    behaviour: BehaviourConfig = Field(
        default_factory=BehaviourConfig, description="Behaviour, product and return options."
    )
    suggestions: SuggestionsConfig = Field(
        default_factory=SuggestionsConfig, description="Product suggestions and affinity.")
    measurement: MeasurementConfig = Field(
        default_factory=MeasurementConfig, description="Measured response to earlier actions.")
    report: ReportConfig = Field(default_factory=ReportConfig, description="Report options.")
    targets: TargetsConfig = Field(default_factory=TargetsConfig,
                                   description="Monthly targets the report compares with.")
    playbook: PlaybookOptions = Field(default_factory=PlaybookOptions,
                                      description="Recommendation playbook.")
    business: Literal["auto", "wholesale", "consumer"] = Field(
        "auto", description="Who the unit sells to, which chooses the playbook's plays: "
        "wholesale (accounts buying cases of many products: account calls, trade terms, "
        "reorders) or consumer (households and shoppers: coupons, loyalty, cross-sell); auto "
        "infers it from units per product line, products per order and the buying rhythm, and "
        "the report says what it inferred.")
    economics: EconomicsConfig = Field(
        default_factory=EconomicsConfig, description="Margin and costs of contact that turn "
        "an action's expected revenue into expected profit (defaults are assumptions).")
    engine: Literal["polars", "spark"] = Field(
        "polars", description="What reads and cleans the transactions and reduces them to the "
        "tables the chapters read: polars (this machine) or spark (Apache Spark, see `spark`).")
    spark: SparkConfig = Field(default_factory=SparkConfig,
                               description="The Spark session for engine: spark.")
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig,
                                     description="Summary email recipients and subject.")

    _config_file: Path = PrivateAttr(default=Path("."))

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, code: str) -> str:
        if not known_currency(code):
            raise ValueError(f"'{code}' is not an ISO 4217 currency code (e.g. GBP, USD, EUR)")
        return code

    @model_validator(mode="after")
    def _spark_reads_files(self) -> UnitConfig:
        if self.engine == "spark" and self.source.url is not None:
            raise ValueError(
                "engine: spark reads files (source.path), not a database (source.url): read "
                "the database with engine: polars, or export the table to Parquet for Spark")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the YAML files (passed in as init values).
        return env_settings, init_settings

    @property
    def local_zone(self) -> str | None:
        """The unit's local time zone (report.timezone, else source.timezone), or None when
        the times are taken as written."""
        return self.report.timezone or self.source.timezone

    @property
    def config_file(self) -> Path:
        """The unit YAML file this configuration was read from."""
        return self._config_file
