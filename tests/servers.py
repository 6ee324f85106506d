"""Real database servers for tests: PostgreSQL (initdb + pg_ctl) and MariaDB (mariadb-install-db
+ mariadbd) in a temporary folder on a free loopback port, run as an unprivileged user when the
tests run as root. None is a mock; a test skips, saying why, where the server is not installed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "s3cret-Pw_42"  # the tests check it never appears in any output


@dataclass(frozen=True)
class Server:
    """A running server: its URL with and without the password, and its port."""

    kind: str
    port: int
    user: str
    database: str

    def url(self, password: str | None = PASSWORD) -> str:
        secret = f":{password}" if password is not None else ""
        scheme = "postgresql" if self.kind == "postgresql" else "mysql"
        return f"{scheme}://{self.user}{secret}@127.0.0.1:{self.port}/{self.database}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_service_user(user: str, folder: Path) -> list[str]:
    """The command prefix that runs a server as `user` when we are root (servers refuse root)."""
    if os.geteuid() != 0:
        return []
    entry = pwd.getpwnam(user)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return ["runuser", "-u", user, "--"]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian's layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """initdb into a temporary folder, pg_ctl start on a free loopback port, a database `shop`
    and a user `reports` who logs in with PASSWORD (scram-sha-256); stopped and removed after."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server not installed (apt-get install postgresql-15)")
    folder = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
    (folder / "password").write_text(PASSWORD)
    port = free_port()
    run_as = []
    try:
        run_as = as_service_user("postgres", folder) if os.geteuid() == 0 else []
        subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U",
                        "reports", f"--pwfile={folder / 'password'}", "--auth-local=trust",
                        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"],
                       check=True, capture_output=True)
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l",
                        str(folder / "log"), "-o", options, "-w", "start"],
                       check=True, capture_output=True)
        subprocess.run([*run_as, str(bin_dir / "createdb"), "-h", str(folder), "-p", str(port),
                        "-U", "reports", "shop"], check=True, capture_output=True)
        yield Server("postgresql", port, "reports", "shop")
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m",
                        "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def mariadb_binaries() -> tuple[str, str] | None:
    """(install-db, server) of an installed MariaDB, or None."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = shutil.which("mariadbd") or shutil.which("mysqld") or (
        "/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
    return (install, server) if install and server else None


@contextlib.contextmanager
def mariadb_server() -> Iterator[Server]:
    """mariadb-install-db into a temporary folder, mariadbd on a free loopback port, a database
    `shop` and a user `reports` with PASSWORD; stopped and removed after."""
    found = mariadb_binaries()
    if found is None:
        raise FileNotFoundError("MariaDB server not installed (apt-get install mariadb-server)")
    install, server = found
    folder = Path(tempfile.mkdtemp(prefix="reportgen-mariadb-"))
    (folder / "data").mkdir()
    port = free_port()
    user = "mysql"
    run_as = as_service_user(user, folder) if os.geteuid() == 0 else []
    socket_path = folder / "mysqld.sock"
    process = None
    try:
        subprocess.run([*run_as, install, f"--datadir={folder / 'data'}", "--auth-root-"
                        "authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True)
        process = subprocess.Popen(
            [*run_as, server, "--no-defaults", f"--datadir={folder / 'data'}",
             f"--port={port}", "--bind-address=127.0.0.1", f"--socket={socket_path}",
             f"--pid-file={folder / 'mysqld.pid'}", "--skip-log-bin",
             "--innodb-flush-log-at-trx-commit=0", "--innodb-buffer-pool-size=64M"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import pymysql

        deadline = time.monotonic() + 60
        while True:
            try:
                admin = pymysql.connect(unix_socket=str(socket_path), user="root")
                break
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE shop")
            cursor.execute(f"CREATE USER 'reports'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'")
            cursor.execute("GRANT ALL ON shop.* TO 'reports'@'127.0.0.1'")
        admin.commit()
        admin.close()
        yield Server("mysql", port, "reports", "shop")
    finally:
        if process is not None:  # its data are thrown away: no clean shutdown to wait for
            with contextlib.suppress(OSError, ValueError):  # the server itself (not runuser)
                os.kill(int((folder / "mysqld.pid").read_text().strip()), signal.SIGKILL)
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
