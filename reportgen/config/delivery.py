"""Who gets the summary email, and the SMTP server that sends it."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from reportgen.config.base import StrictModel


class DeliveryConfig(StrictModel):
    """Who receives the unit's monthly summary email (SMTP settings come from the environment)."""

    to: list[str] = Field(default_factory=list, description="Recipients.")
    cc: list[str] = Field(default_factory=list, description="Copy recipients.")
    subject: str = Field(
        "{title}: customer report for {period_label}",
        description="Subject; {title}, {unit}, {period} and {period_label} are filled in.",
    )
    report_url: str | None = Field(
        None, description="Where the published report can be opened, as a template with "
        "{unit} and {period} (e.g. https://reports.example.com/{unit}/{period}/): the email "
        "links to it. Without it the email says the report is attached.")

    @field_validator("report_url")
    @classmethod
    def _url_template(cls, url: str | None) -> str | None:
        if url is None:
            return None
        names = {name for _, name, _, _ in string.Formatter().parse(url) if name is not None}
        if names - {"unit", "period"}:
            raise ValueError("report_url may use only {unit} and {period}, not "
                             + ", ".join("{" + n + "}" for n in sorted(names - {"unit", "period"})))
        if not url.startswith(("https://", "http://")):
            raise ValueError("report_url must start with https:// or http://")
        return url

    def report_link(self, unit: str, period: str) -> str | None:
        """The report's address for the unit's month, or None without report_url."""
        return self.report_url.format(unit=unit, period=period) if self.report_url else None


class SmtpSettings(BaseSettings):
    """SMTP server, from REPORTGEN_SMTP__* environment variables only (never from YAML)."""

    model_config = SettingsConfigDict(env_prefix="REPORTGEN_SMTP__", extra="ignore")

    host: str | None = Field(None, description="SMTP server host name.")
    port: int | None = Field(None, description="Port; default 465 for ssl, else 587 (25 for none).")
    security: Literal["none", "starttls", "ssl"] = Field(
        "starttls", description="Connection security; certificates are verified.")
    username: str | None = Field(None, description="Login name, if the server needs one.")
    password: SecretStr | None = Field(None, description="Password for the login.")
    sender: str | None = Field(None, description="From address.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for the server.")
    retries: int = Field(3, ge=1, le=10, description="Attempts on transient failures.")
    retry_delay: float = Field(5.0, ge=0, description="Seconds before the first retry (doubles).")

    def effective_port(self) -> int:
        """The configured port, or the usual one for the security mode."""
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]
