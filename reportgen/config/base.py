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


# A password in a URL's user part (scheme://user:password@host) or in its query (?password=).
URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:)(?P<secret>.*)(?P<at>@[^@]*)$")
QUERY_PASSWORD = re.compile(r"(?i)(?P<key>[?&](password|passwd|pwd)=)[^&]*")


def url_scheme(url: str) -> str:
    """A URL's scheme in lower case, without SQLAlchemy's +driver (postgresql+psycopg ->
    postgresql); "" for text that is no URL."""
    return url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""


def masked_url(url: str) -> str:
    """The URL with its password (in the user part or the query) replaced by ***: the only
    form of a database URL any message, log line, manifest or ledger shows."""
    masked = URL_PASSWORD.sub(r"\g<head>***\g<at>", url)
    return QUERY_PASSWORD.sub(r"\g<key>***", masked)


def url_password(url: str) -> str | None:
    """The password written in the URL, if any (to scrub it from a driver's messages)."""
    found = URL_PASSWORD.match(url)
    if found and found["secret"]:
        return found["secret"]
    query = QUERY_PASSWORD.search(url)
    return query[0].split("=", 1)[1] or None if query else None
