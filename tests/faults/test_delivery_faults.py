"""Issue 18's SMTP cases on a real server on 127.0.0.1: one recipient refused, a server that
times out after the message body. The ledger tells the truth; a later run sends exactly once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jobs.test_deliver import NOW, PERIOD, Inbox, serving, smtp

from reportgen.config import load_unit_config
from reportgen.errors import DeliveryError
from reportgen.jobs.deliver import deliver
from reportgen.jobs.ledger import read_ledger
from reportgen.pipeline import RunResult


class PickyInbox(Inbox):
    """Refuses one address at RCPT time (a mailbox that does not exist)."""

    refused = "gone@example.com"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address == self.refused:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky() -> Iterator[tuple[PickyInbox, int]]:
    handler = PickyInbox()
    with serving(handler) as port:
        yield handler, port


@pytest.fixture
def published(drafted_report: RunResult, tmp_path: Path) -> Path:
    return Path(shutil.copytree(drafted_report.folder, tmp_path / "demo" / "2024-12"))


def unit_with(tmp_path: Path, recipients: list[str]) -> Path:
    import yaml

    config = tmp_path / "unit.yaml"
    config.write_text(yaml.safe_dump({
        "unit": "demo", "title": "Demo", "currency": "GBP",
        "source": {"path": str(tmp_path / "missing.csv")},  # delivery reads no data
        "delivery": {"to": recipients}}))
    return config


def test_a_refused_recipient_fails_the_delivery_by_name_and_a_later_run_sends_once(
        tmp_path: Path, published: Path, picky: tuple[PickyInbox, int]) -> None:
    handler, port = picky
    config = load_unit_config(unit_with(tmp_path, ["director@example.com",
                                                   "gone@example.com"]))
    with pytest.raises(DeliveryError, match=r"gone@example\.com"):
        deliver(published, config, PERIOD, smtp(port), "send", NOW)
    assert handler.received == []  # nobody got half a delivery
    delivery = read_ledger(published)["delivery"]  # type: ignore[index]
    assert delivery["state"] == "failed" and "550" in delivery["detail"]
    fixed = load_unit_config(unit_with(tmp_path, ["director@example.com"]))
    assert deliver(published, fixed, PERIOD, smtp(port), "send", NOW).state == "sent"
    assert deliver(published, fixed, PERIOD, smtp(port), "send", NOW).state == "sent"
    assert len(handler.received) == 1


def test_a_server_that_times_out_after_the_body_is_unknown_and_never_resent(
        tmp_path: Path, published: Path) -> None:
    handler = Inbox()
    handler.mode = "stall"
    with serving(handler) as port:
        config = load_unit_config(unit_with(tmp_path, ["director@example.com"]))
        outcome = deliver(published, config, PERIOD, smtp(port, timeout=1.0), "send", NOW)
        assert outcome.state == "unknown" and "after the message was handed over" in \
            outcome.detail
        assert read_ledger(published)["delivery"]["state"] == "unknown"  # type: ignore[index]
        handler.mode = "accept"
        again = deliver(published, config, PERIOD, smtp(port), "send", NOW)
        assert again.state == "unknown" and "not re-sent" in again.detail
    assert len(handler.received) <= 1  # the stalled message may have arrived; never a second
