"""A business unit's configuration: defaults file < unit YAML < REPORTGEN_ environment variables.

One module per concept: `base` (strict models, zones, URLs), `source` (files and columns),
`cleaning`, `analysis` (the chapters' settings), `playbook` (the playbook file's schema),
`delivery` (email and SMTP), `economics` (margin and costs of contact), `targets`, `unit` (the
whole unit) and `loading` (reading and merging the files, and every problem in one error).
Everything is importable from `reportgen.config`.
"""

from __future__ import annotations

from reportgen.config.analysis import (
    CLUSTER_FEATURES as CLUSTER_FEATURES,
)
from reportgen.config.analysis import (
    DEFAULT_PURCHASE_MODELS as DEFAULT_PURCHASE_MODELS,
)
from reportgen.config.analysis import (
    BehaviourConfig as BehaviourConfig,
)
from reportgen.config.analysis import (
    ClusterConfig as ClusterConfig,
)
from reportgen.config.analysis import (
    ClusterFeature as ClusterFeature,
)
from reportgen.config.analysis import (
    ClvConfig as ClvConfig,
)
from reportgen.config.analysis import (
    CohortConfig as CohortConfig,
)
from reportgen.config.analysis import (
    MeasurementConfig as MeasurementConfig,
)
from reportgen.config.analysis import (
    PurchaseModelName as PurchaseModelName,
)
from reportgen.config.analysis import (
    RfmConfig as RfmConfig,
)
from reportgen.config.analysis import (
    SegmentRule as SegmentRule,
)
from reportgen.config.analysis import (
    SuggestionMethod as SuggestionMethod,
)
from reportgen.config.analysis import (
    SuggestionsConfig as SuggestionsConfig,
)
from reportgen.config.base import (
    DEFAULTS_FILE_NAME as DEFAULTS_FILE_NAME,
)
from reportgen.config.base import (
    ENV_PREFIX as ENV_PREFIX,
)
from reportgen.config.base import (
    URL_PATTERN as URL_PATTERN,
)
from reportgen.config.base import (
    StrictModel as StrictModel,
)
from reportgen.config.base import (
    ZoneName as ZoneName,
)
from reportgen.config.base import (
    is_url as is_url,
)
from reportgen.config.base import (
    known_zone as known_zone,
)
from reportgen.config.base import (
    masked_url as masked_url,
)
from reportgen.config.base import (
    url_password as url_password,
)
from reportgen.config.base import (
    url_scheme as url_scheme,
)
from reportgen.config.cleaning import (
    DEFAULT_NON_PRODUCT_RULES as DEFAULT_NON_PRODUCT_RULES,
)
from reportgen.config.cleaning import (
    CleaningConfig as CleaningConfig,
)
from reportgen.config.cleaning import (
    EntryErrorConfig as EntryErrorConfig,
)
from reportgen.config.cleaning import (
    FilterConfig as FilterConfig,
)
from reportgen.config.cleaning import (
    NonProductRule as NonProductRule,
)
from reportgen.config.cleaning import (
    VolumeConfig as VolumeConfig,
)
from reportgen.config.delivery import (
    DeliveryConfig as DeliveryConfig,
)
from reportgen.config.delivery import (
    SmtpSettings as SmtpSettings,
)
from reportgen.config.economics import (
    Channel as Channel,
)
from reportgen.config.economics import (
    ContactCosts as ContactCosts,
)
from reportgen.config.economics import (
    EconomicsConfig as EconomicsConfig,
)
from reportgen.config.loading import (
    ConfigErrors as ConfigErrors,
)
from reportgen.config.loading import (
    deep_merge as deep_merge,
)
from reportgen.config.loading import (
    load_unit_config as load_unit_config,
)
from reportgen.config.loading import (
    read_yaml_mapping as read_yaml_mapping,
)
from reportgen.config.playbook import (
    AudienceFilter as AudienceFilter,
)
from reportgen.config.playbook import (
    Business as Business,
)
from reportgen.config.playbook import (
    HoldOutOptions as HoldOutOptions,
)
from reportgen.config.playbook import (
    PlaybookEntry as PlaybookEntry,
)
from reportgen.config.playbook import (
    PlaybookFile as PlaybookFile,
)
from reportgen.config.playbook import (
    PlaybookOptions as PlaybookOptions,
)
from reportgen.config.source import (
    CANONICAL_COLUMNS as CANONICAL_COLUMNS,
)
from reportgen.config.source import (
    ColumnMap as ColumnMap,
)
from reportgen.config.source import (
    SourceConfig as SourceConfig,
)
from reportgen.config.source import (
    SourceFile as SourceFile,
)
from reportgen.config.targets import (
    TARGET_KEYS as TARGET_KEYS,
)
from reportgen.config.targets import (
    TargetsConfig as TargetsConfig,
)
from reportgen.config.unit import (
    ReportConfig as ReportConfig,
)
from reportgen.config.unit import (
    SparkConfig as SparkConfig,
)
from reportgen.config.unit import (
    UnitConfig as UnitConfig,
)
