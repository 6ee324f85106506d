"""Scheduling snippets for this installation: a crontab line and a systemd service + timer."""

from __future__ import annotations

from pathlib import Path

WORKDIR_NOTE = "reportgen reads REPORTGEN_ variables from the environment (see README)."


def run_command(executable: Path, folder: Path, output: Path) -> str:
    """The monthly command: every unit, last complete month, missed months, email sent."""
    return (f"{executable} run-all {folder} --period previous --catch-up --send "
            f"--output {output}")


def crontab_line(executable: Path, folder: Path, output: Path) -> str:
    """Run on the 2nd of every month at 06:00, logging next to the reports."""
    log = output / "reportgen.log"
    return f"0 6 2 * * {run_command(executable, folder, output)} >> {log} 2>&1"


def systemd_units(executable: Path, folder: Path, output: Path) -> dict[str, str]:
    """reportgen.service (one run) and reportgen.timer (monthly, catching up after downtime)."""
    service = f"""[Unit]
Description=reportgen monthly CRM reports
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={folder.parent}
# {WORKDIR_NOTE}
EnvironmentFile=-/etc/reportgen.env
ExecStart={run_command(executable, folder, output)}
"""
    timer = """[Unit]
Description=Run reportgen on the 2nd of every month

[Timer]
OnCalendar=*-*-02 06:00:00
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {"reportgen.service": service, "reportgen.timer": timer}
