"""Emailing a published report's summary exactly once.

The message is composed from the period folder (email/ parts and report.pdf). Its delivery
state lives in the run ledger (ledger.json, see jobs/ledger.py): before the message is handed
to the server the ledger says "sending" with the Message-ID; afterwards "sent", "failed"
(refused, or transient failures that outlasted the retries) or "unknown" (the connection broke
after the message was handed over, so it may have arrived). Only "not sent" and "failed" are
sent automatically; "sent"
and "unknown" need --resend, which sends again on purpose.
"""

from __future__ import annotations

import email.policy
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

from reportgen.config import SmtpSettings, UnitConfig
from reportgen.errors import ConfigError, DeliveryError, first_line
from reportgen.jobs.ledger import read_ledger, record_delivery
from reportgen.outputs.publish import write_atomic
from reportgen.period import Period

Mode = Literal["send", "dry-run"]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What the delivery step did."""

    state: str
    detail: str


def compose(folder: Path, config: UnitConfig, period: Period, sender: str) -> EmailMessage:
    """The summary email: plain text and HTML alternatives, inline charts, the PDF attached."""
    if not config.delivery.to:
        raise ConfigError("no recipients", unit=config.unit, file=config.config_file,
                          hint="set delivery.to in the unit's YAML")
    message = EmailMessage()
    message["Subject"] = config.delivery.subject.format(
        title=config.title, unit=config.unit, period=str(period), period_label=period.label)
    message["From"] = sender
    message["To"] = ", ".join(config.delivery.to)
    if config.delivery.cc:
        message["Cc"] = ", ".join(config.delivery.cc)
    email_folder = folder / "email"
    message.set_content((email_folder / "summary.txt").read_text(encoding="utf-8"))
    message.add_alternative((email_folder / "summary.html").read_text(encoding="utf-8"),
                            subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for image in sorted(email_folder.glob("*.png")):
        html_part.add_related(image.read_bytes(), maintype="image", subtype="png",
                              cid=f"<{image.name}>", filename=image.name)
    message.add_attachment((folder / "report.pdf").read_bytes(), maintype="application",
                           subtype="pdf",
                           filename=f"{config.unit}-{period}-customer-report.pdf")
    return message


def deliver(
    folder: Path,
    config: UnitConfig,
    period: Period,
    smtp: SmtpSettings,
    mode: Mode,
    now: datetime,
    resend: bool = False,
) -> DeliveryOutcome:
    """Write summary.eml (dry run) or send the summary once, recording it in the ledger."""
    ledger = read_ledger(folder)
    if ledger is None:
        raise DeliveryError("no ledger.json: publish the report before sending it",
                            unit=config.unit, file=folder)
    if not config.delivery.to:
        return DeliveryOutcome("skipped", "no recipients in delivery.to")
    sender = smtp.sender or "reportgen@localhost"
    if mode == "dry-run":
        message = compose(folder, config, period, sender)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain=_domain(sender))
        write_atomic(folder / "summary.eml", bytes(message))
        return DeliveryOutcome("dry run", str(folder / "summary.eml"))
    state = ledger.get("delivery", {}).get("state", "not sent")
    if state in ("sent", "unknown", "sending") and not resend:
        detail = {"sent": "already sent", "unknown": "delivery state unknown; not re-sent "
                  "automatically (check with the recipients, then use --resend)",
                  "sending": "a previous send was interrupted; not re-sent automatically "
                  "(use --resend)"}[state]
        return DeliveryOutcome(state, detail)
    if not smtp.host or not smtp.sender:
        raise ConfigError("SMTP is not configured", unit=config.unit,
                          hint="set REPORTGEN_SMTP__HOST and REPORTGEN_SMTP__SENDER")
    message = compose(folder, config, period, sender)
    message["Date"] = format_datetime(now)
    message_id = make_msgid(domain=_domain(sender))
    message["Message-ID"] = message_id
    recipients = [*config.delivery.to, *config.delivery.cc]
    sent_at = now.isoformat(timespec="seconds")
    record_delivery(folder, ledger, {"state": "sending", "message_id": message_id,
                                     "recipients": recipients, "at": sent_at})
    state, detail = _send(message, sender, recipients, smtp)
    record_delivery(folder, ledger, {"state": state, "message_id": message_id,
                                     "recipients": recipients, "at": sent_at, "detail": detail})
    if state == "failed":
        raise DeliveryError(f"email not sent: {detail}", unit=config.unit,
                            hint="the next run sends it again; see ledger.json")
    return DeliveryOutcome(state, detail)


def _send(message: EmailMessage, sender: str, recipients: list[str],
          smtp: SmtpSettings) -> tuple[str, str]:
    """Hand the message over; retry transient failures before it was handed over."""
    delay = smtp.retry_delay
    last = ""
    for attempt in range(1, smtp.retries + 1):
        handed_over = False
        try:
            with _connect(smtp) as server:
                server.ehlo_or_helo_if_needed()
                server.mail(sender)
                for recipient in recipients:
                    code, reply = server.rcpt(recipient)
                    if code >= 400:
                        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
                handed_over = True
                # CRLF line endings: smtplib fixes them only for str, not for bytes.
                code, reply = server.data(message.as_bytes(policy=email.policy.SMTP))
                if code >= 400:
                    raise smtplib.SMTPDataError(code, reply)
            return "sent", f"accepted by {smtp.host} (attempt {attempt})"
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError, smtplib.SMTPResponseException) as exc:
            status: int | None = getattr(exc, "smtp_code", None) or _first_code(exc)
            last = f"refused by the server: {first_line(exc)}"
            if status is None or status >= 500:
                return "failed", last  # permanent: retrying will not help
        except (OSError, smtplib.SMTPException) as exc:
            if handed_over:
                return "unknown", f"connection lost after the message was handed over ({exc})"
            last = f"could not reach {smtp.host}: {exc}"
        if attempt < smtp.retries:
            time.sleep(delay)
            delay *= 2
    return "failed", last


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    host, port = smtp.host or "", smtp.effective_port()
    if smtp.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=smtp.timeout,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=smtp.timeout)
        if smtp.security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if smtp.username and smtp.password:
        server.login(smtp.username, smtp.password.get_secret_value())
    return server


def _domain(sender: str) -> str:
    return sender.rsplit("@", 1)[-1].strip("> ") or socket.getfqdn()


def _first_code(exc: Exception) -> int | None:
    recipients = getattr(exc, "recipients", None)
    if isinstance(recipients, dict) and recipients:
        return int(next(iter(recipients.values()))[0])
    return None


