"""The summary email over a real SMTP server on 127.0.0.1: content, exactly once, failures."""

from __future__ import annotations

import asyncio
import email
import json
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import run_cli, write_demo_unit

from reportgen.config import SmtpSettings, load_unit_config
from reportgen.errors import DeliveryError
from reportgen.jobs.deliver import deliver
from reportgen.jobs.ledger import read_ledger
from reportgen.period import Period
from reportgen.pipeline import RunResult

NOW = datetime(2025, 1, 2, 6, 0)
PERIOD = Period(2024, 12)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts, or refuses, or stalls, on demand."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.mode = "accept"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "reject":
            return "554 5.7.1 Message rejected"
        if self.mode == "stall":
            await asyncio.sleep(3)
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(handler: Any) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 with the handler, while the block runs; its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with serving(handler) as port:
        yield handler, port


@pytest.fixture(scope="module")
def unit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Delivery is under test here, the CLV chapter elsewhere: the dry run builds without it.
    return write_demo_unit(tmp_path_factory.mktemp("unit"), title="Demo", delivery={
        "to": ["director@example.com"], "cc": ["crm@example.com"],
        "subject": "{title} report {period}"}, clv={"enabled": False})


@pytest.fixture
def published(drafted_report: RunResult, tmp_path: Path) -> Path:
    """A copy of the session's drafted demo report folder (PDF and email parts), its own to
    change."""
    return Path(shutil.copytree(drafted_report.folder, tmp_path / "demo" / "2024-12"))


def smtp(port: int, **changes: Any) -> SmtpSettings:
    settings: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none",
                                "sender": "reports@example.com", "retries": 2,
                                "retry_delay": 0.0, "timeout": 5.0}
    return SmtpSettings(**{**settings, **changes})


def test_the_message_and_its_parts(unit: Path, published: Path,
                                   inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    outcome = deliver(published, load_unit_config(unit), PERIOD, smtp(port), "send", NOW)
    assert outcome.state == "sent"
    assert len(handler.received) == 1
    recipients, raw = handler.received[0]
    assert recipients == ["director@example.com", "crm@example.com"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Demo report 2024-12"
    assert message["From"] == "reports@example.com"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and "What to do this month" in text.get_content()
    assert html is not None
    html_text = html.get_content()
    # inline CSS; a <style> block keeps only the phone layout's @media rules
    assert 'style="' in html_text
    blocks = re.findall(r"<style>(.*?)</style>", html_text, re.DOTALL)
    assert all(block.strip().startswith("@media") and block.count("@media") == 1
               for block in blocks)
    referenced = set(re.findall(r'src="cid:([^"]+)"', html_text))
    present = {part["Content-ID"].strip("<>") for part in message.walk()
               if part.get_content_type() == "image/png"}
    assert referenced and referenced <= present
    pdfs = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_content() == (published / "report.pdf").read_bytes()
    ledger = read_ledger(published)
    assert ledger is not None and ledger["delivery"]["state"] == "sent"
    assert ledger["delivery"]["message_id"] == message["Message-ID"]


def test_a_second_run_sends_nothing(unit: Path, published: Path,
                                    inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    config = load_unit_config(unit)
    deliver(published, config, PERIOD, smtp(port), "send", NOW)
    again = deliver(published, config, PERIOD, smtp(port), "send", NOW)
    assert again.state == "sent" and again.detail == "already sent"
    assert len(handler.received) == 1
    deliver(published, config, PERIOD, smtp(port), "send", NOW, resend=True)
    assert len(handler.received) == 2


def test_a_rejected_message_is_failed_then_sent_once(unit: Path, published: Path,
                                                     inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    config = load_unit_config(unit)
    handler.mode = "reject"
    with pytest.raises(DeliveryError, match="refused by the server"):
        deliver(published, config, PERIOD, smtp(port), "send", NOW)
    assert read_ledger(published)["delivery"]["state"] == "failed"  # type: ignore[index]
    handler.mode = "accept"
    assert deliver(published, config, PERIOD, smtp(port), "send", NOW).state == "sent"
    assert deliver(published, config, PERIOD, smtp(port), "send", NOW).state == "sent"
    assert len(handler.received) == 1


def test_an_ambiguous_failure_is_unknown_and_not_resent(unit: Path, published: Path,
                                                        inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    config = load_unit_config(unit)
    handler.mode = "stall"
    outcome = deliver(published, config, PERIOD, smtp(port, timeout=1.0), "send", NOW)
    assert outcome.state == "unknown"
    handler.mode = "accept"
    again = deliver(published, config, PERIOD, smtp(port), "send", NOW)
    assert again.state == "unknown" and "not re-sent" in again.detail


def test_an_unreachable_server_is_retried_then_failed(unit: Path, published: Path) -> None:
    with pytest.raises(DeliveryError, match="could not reach"):
        deliver(published, load_unit_config(unit), PERIOD, smtp(free_port()), "send", NOW)
    assert read_ledger(published)["delivery"]["state"] == "failed"  # type: ignore[index]


@pytest.mark.slow  # a whole run through the CLI
def test_dry_run_writes_summary_eml_through_the_cli(
    unit: Path, tmp_path: Path, draft_rendering: None
) -> None:
    result = run_cli("run", unit, "--period", "2024-12", "--output", tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    eml = tmp_path / "demo" / "2024-12" / "summary.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "director@example.com" and message["Cc"] == "crm@example.com"
    ledger = json.loads((tmp_path / "demo" / "2024-12" / "ledger.json").read_text())
    assert ledger["delivery"]["state"] == "not sent"


def test_a_unit_without_recipients_is_skipped(unit: Path, published: Path) -> None:
    config = load_unit_config(unit)
    silent = config.model_copy(update={"delivery": config.delivery.model_copy(update={"to": []})})
    outcome = deliver(published, silent, PERIOD, smtp(free_port()), "send", NOW)
    assert (outcome.state, outcome.detail) == ("skipped", "no recipients in delivery.to")
