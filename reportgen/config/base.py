"""What every settings model shares: strict models, time-zone names and URLs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
)

URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


DEFAULTS_FILE_NAME = "defaults.yaml"


ENV_PREFIX = "REPORTGEN_"


class StrictModel(BaseModel):
    """A config section that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def known_zone(zone: str) -> str:
    """The zone name when Python's time-zone database knows it; ValueError otherwise."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{zone}' is not a time zone; use an IANA name such as UTC, "
                         "Europe/London or America/New_York") from None
    return zone


# An IANA time-zone name, checked against Python's time-zone database.
ZoneName = Annotated[str, AfterValidator(known_zone)]


def is_url(path: Path | str) -> bool:
    """Whether a source path is a URL (scheme://...) rather than a local path."""
    return isinstance(path, str) and URL_PATTERN.match(path) is not None
