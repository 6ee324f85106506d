"""Shared fixtures: small transaction tables with the hard cases, unit configs on disk, a draft
renderer for tests that do not look at charts or the PDF, and reports built once a session."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml
from markupsafe import Markup

from reportgen.display.charts import ChartSpec
from reportgen.report.render import Renderer

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.parquet"

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country"]


def lines(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Transactions in the Online Retail schema from (invoice, code, qty, when, price, customer[,
    country[, description]]) tuples."""
    records = []
    for row in rows:
        invoice, code, qty, when, price, customer, *rest = row
        country = rest[0] if rest else "United Kingdom"
        description = rest[1] if len(rest) > 1 else f"PRODUCT {code}"
        records.append({
            "InvoiceNo": invoice, "StockCode": code, "Description": description,
            "Quantity": qty, "InvoiceDate": datetime.fromisoformat(when), "UnitPrice": price,
            "CustomerID": customer, "Country": country,
        })
    return pl.DataFrame(records, schema={
        "InvoiceNo": pl.String, "StockCode": pl.String, "Description": pl.String,
        "Quantity": pl.Int64, "InvoiceDate": pl.Datetime("us"), "UnitPrice": pl.Float64,
        "CustomerID": pl.String, "Country": pl.String,
    })


UnitFactory = Callable[..., Path]


@pytest.fixture
def write_unit(tmp_path: Path) -> UnitFactory:
    """Write a unit YAML (and optionally its data) into tmp_path; return the YAML's path."""

    def factory(
        data: pl.DataFrame | None = None,
        data_name: str = "transactions.parquet",
        defaults: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Path:
        if data is not None:
            target = tmp_path / data_name
            if data_name.endswith(".csv"):
                data.write_csv(target)
            elif data_name.endswith(".xlsx"):
                data.write_excel(target)
            else:
                data.write_parquet(target)
        unit: dict[str, Any] = {
            "unit": "test", "title": "Test Unit", "currency": "GBP",
            "source": {"path": data_name},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(unit.get(key), dict):
                unit[key] = {**unit[key], **value}
            else:
                unit[key] = value
        if defaults is not None:
            (tmp_path / "defaults.yaml").write_text(yaml.safe_dump(defaults))
        path = tmp_path / "test.yaml"
        path.write_text(yaml.safe_dump(unit))
        return path

    return factory


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public UCI Online Retail parquet; tests using it are skipped when it is absent."""
    if not SHARED_DATA.is_file():
        pytest.skip("../shared/data/online_retail.parquet is not available")
    return SHARED_DATA


def cdnow_purchases() -> pl.DataFrame:
    """CDNOW sample shipped with lifetimes (2,357 customers) as purchase lines."""
    import lifetimes.datasets

    return _read_cdnow(Path(lifetimes.datasets.__file__).parent / "CDNOW_sample.txt")


def _read_cdnow(path: Path) -> pl.DataFrame:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "invoice": [f"{r[0]}-{r[2]}" for r in rows],
            "invoice_date": [datetime.strptime(r[2], "%Y%m%d") for r in rows],
            "revenue": [float(r[4]) for r in rows],
        },
        schema_overrides={"invoice_date": pl.Datetime("us")},
    )


def purchases(*rows: tuple[str, str | None, str, float]) -> pl.DataFrame:
    """Cleaned purchase lines from (invoice, customer, timestamp, revenue)."""
    return pl.DataFrame(
        [{"invoice": i, "customer_id": c, "invoice_date": datetime.fromisoformat(t), "revenue": r}
         for i, c, t, r in rows],
        schema={"invoice": pl.String, "customer_id": pl.String,
                "invoice_date": pl.Datetime("us"), "revenue": pl.Float64},
    )


# A valid 1 x 1 PNG: the draft renderer's stand-in for every email chart.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def draft_pdf(html: str) -> tuple[bytes, int]:
    """A stand-in for the PDF (one page): for tests that do not look at the PDF's layout."""
    return b"%PDF-1.4\n% draft: " + str(len(html)).encode() + b"\n%%EOF\n", 1


class ChartsRenderer(Renderer):
    """Draws the charts for real but lays out no PDF (`draft_pdf`): for tests of a report's
    figures and text on real data, where WeasyPrint's layout would cost seconds."""

    def pdf(self, html: str) -> tuple[bytes, int]:
        return draft_pdf(html)


class DraftRenderer(Renderer):
    """Renders templates for real but draws no chart and lays out no PDF: for tests about
    runs, ledgers and delivery, which must not pay for WeasyPrint and vl-convert."""

    def chart_svg(self, spec: ChartSpec, key: str) -> Markup:
        return Markup(f'<svg id="{key}" class="draft"></svg>')

    def chart_png(self, spec: ChartSpec) -> bytes:
        return TINY_PNG

    def pdf(self, html: str) -> tuple[bytes, int]:
        return draft_pdf(html)


def on_every_core(statements: str, *args: str) -> None:
    """Run Python `statements` (with `args` as sys.argv[1:]) in a process of their own on
    Polars' default thread pool, the tests' folder importable. `make test` runs one worker per
    core on one thread each, where the order of a parallel computation cannot vary: a test
    that checks results do not depend on it runs its computation here. AssertionError with
    the child's error when it fails."""
    tests = Path(__file__).resolve().parent
    environment = {name: value for name, value in os.environ.items()
                   if name != "POLARS_MAX_THREADS"}
    code = (f"import os, sys; sys.path[:0] = {[str(tests), str(tests.parent)]!r}; "
            "import polars as pl; assert pl.thread_pool_size() > 1 or os.cpu_count() == 1\n"
            + statements)
    finished = subprocess.run([sys.executable, "-c", code, *args], env=environment,
                              capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr[-3_000:]


RUN_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # when tests' runs say they ran


def run_report(config: Any, period: Any, output: Path, renderer: Renderer | None = None) -> Any:
    """Run and publish a unit's report as `reportgen run --force` does (`jobs.runner.run_unit`,
    the one run-and-publish path), at RUN_AT; its RunResult."""
    from reportgen.jobs.runner import run_unit

    outcome = run_unit(config, period, output, RUN_AT, force=True, renderer=renderer)
    assert outcome.result is not None
    return outcome.result


DEMO_PERIOD = "2024-12"


DEMO_REPORT_URL = "https://reports.example.com/{unit}/{period}/"
DEMO_TARGETS = {"revenue": {"2024-12": 70_000, "2025-01": 60_000}, "new_customers": 20}


def write_demo_unit(folder: Path, title: str = "Demo <Unit> & Co", **overrides: Any) -> Path:
    """A unit over 300 simulated customers (every kind of dirt, 2023-2024) in `folder`."""
    from reportgen.demo_data import DemoSpec, generate_transactions, write_demo_csv

    data = folder / "demo.csv"
    if not data.exists():
        write_demo_csv(generate_transactions(DemoSpec(customers=300, seed=3)), data)
    unit: dict[str, Any] = {"unit": "demo", "title": title, "currency": "GBP",
                            "source": {"path": "demo.csv"},
                            "clusters": {"k_max": 6, "n_init": 4}, **overrides}
    config = folder / "demo.yaml"
    config.write_text(yaml.safe_dump(unit))
    return config


# The longest modules (ten seconds and more, measured with --durations): run first, so that
# with one worker per core (make test, which keeps this order: --no-loadscope-reorder) none of
# them starts last while the other cores sit idle.
LONGEST_FIRST = ("inputs/test_spark_engine.py", "test_real_data.py",
                 "inputs/test_database_servers.py", "report/test_report.py",
                 "test_messy_export.py", "chapters/test_clv.py", "test_report_values_property.py",
                 "faults/test_cleaning_properties.py", "chapters/test_trends.py",
                 "jobs/test_runner.py", "faults/test_kill.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the demo report rendered for real waits for its build (about 30 s on
    two cores): it is slow, so make test-fast leaves it out. The longest modules go first
    (LONGEST_FIRST); the others keep their order."""
    for item in items:
        if "demo_report" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)

    def rank(item: pytest.Item) -> int:
        path = item.path.as_posix()
        return next((index for index, name in enumerate(LONGEST_FIRST)
                     if path.endswith("/tests/" + name)), len(LONGEST_FIRST))

    items.sort(key=rank)


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo unit's report for 2024-12, rendered for real once a session, with its ledger.

    Tests read it; tests that change a published folder copy it first.
    """
    from datetime import datetime

    from reportgen.config import load_unit_config
    from reportgen.jobs.runner import run_unit
    from reportgen.period import Period

    def build(folder: Path) -> Any:
        # With targets, so that the month-explained page and the story compare with them,
        # and the report's address, so that the email links to it.
        config = load_unit_config(write_demo_unit(folder, targets=DEMO_TARGETS, delivery={
            "to": ["director@example.com"], "report_url": DEMO_REPORT_URL}))
        outcome = run_unit(config, Period.parse(DEMO_PERIOD), folder / "output",
                           datetime(2025, 1, 2, 6, 0, tzinfo=UTC))
        assert outcome.result is not None
        return outcome.result

    return built_once_per_run(tmp_path_factory, "demo-report", build)


def built_once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str,
                       build: Callable[[Path], Any]) -> Any:
    """build(folder)'s result, built by the first pytest-xdist worker that asks and read by
    the others (under a file lock, in the run's shared temporary folder): an expensive
    session fixture is then paid once per test run, not once per worker. (make test
    distributes whole files, so few files need it at once.)"""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, saved = shared / name, shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            folder.mkdir()
            saved.write_bytes(pickle.dumps(build(folder)))
    return pickle.loads(saved.read_bytes())


@pytest.fixture(scope="session")
def drafted_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo unit's report for 2024-12 without CLV, drawn by DraftRenderer, with its ledger:
    a published folder for tests of what happens to it (delivery), built in seconds."""
    from datetime import datetime

    from reportgen.config import load_unit_config
    from reportgen.jobs.runner import run_unit
    from reportgen.period import Period

    def build(folder: Path) -> Any:
        config = load_unit_config(write_demo_unit(folder, clv={"enabled": False}))
        outcome = run_unit(config, Period.parse(DEMO_PERIOD), folder / "output",
                           datetime(2025, 1, 2, 6, 0, tzinfo=UTC), renderer=DraftRenderer())
        assert outcome.result is not None
        return outcome.result

    return built_once_per_run(tmp_path_factory, "drafted-report", build)


def assert_only_single_day_buyers_lack_a_gap(customers: pl.DataFrame) -> None:
    """Every column is filled, except the purchase gap of customers who bought on one day and
    the suggestions and products to reorder of customers who returned everything they bought
    (nothing kept to learn their taste from)."""
    gap_missing = customers["avg_days_between_purchases"].is_null()
    single_day = customers["first_purchase"] == customers["last_purchase"]
    assert (gap_missing == single_day).all()
    if "suggested_products" in customers.columns:
        unsuggested = customers["suggested_products"].is_null()
        assert (unsuggested == (customers["return_rate"] == 1.0)).all()
        # their own products to reorder: none kept, none to reorder either
        assert (customers["reorder_products"].is_null() == unsuggested).all()
        customers = customers.drop("suggested_products", "reorder_products")
    others = customers.drop("avg_days_between_purchases")
    assert others.null_count().sum_horizontal().item() == 0
    assert set(customers["preferred_daypart"]) <= {"morning", "afternoon", "evening"}
    assert customers["return_rate"].min() >= 0


@dataclass(frozen=True)
class CliResult:
    """What a command printed and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> CliResult:
    """Run `reportgen ARGS` in this process, as the console script does (main())."""
    from reportgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["reportgen", *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    finally:
        sys.argv = argv
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def draft_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs that do not say how to render (the CLI's) draw no charts and lay out no PDF."""
    monkeypatch.setattr("reportgen.pipeline.Renderer", DraftRenderer)


def central_difference(function: Callable[..., tuple[float, Any]], params: tuple[float, ...],
                       data: tuple[Any, ...], step: float = 1e-5) -> Any:
    """The slope of function(*params, *data)[0] in each parameter, by central differences of
    relative size `step`: what an analytic gradient is checked against."""
    slopes = []
    for i, value in enumerate(params):
        h = value * step
        up, down = list(params), list(params)
        up[i], down[i] = value + h, value - h
        slopes.append((function(*up, *data)[0] - function(*down, *data)[0]) / (2 * h))
    return np.array(slopes)


# The board pack (issue 33): words a director should not meet before the appendix, and how
# much of a page is inked.
JARGON = re.compile(r"likelihood|silhouette|Calinski|Davies|\bAMI\b|\bEASE\b|\balpha\b|"
                    r"penali[sz]er|\br\s*=|\bNBD\b|BG/NBD|Gamma-Gamma|K-Means|Pareto",
                    re.IGNORECASE)
LOW_INK = 0.03


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    return [document[index].get_textpage().get_text_range()
            for index in range(len(document))]


def inked_shares(pdf: bytes, dpi: int = 30) -> list[float]:
    """Each page's share of pixels darker than light grey."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    shares = []
    for index in range(len(document)):
        image = document[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        shares.append(float((np.asarray(image) < 200).mean()))
    return shares


def before_the_appendix(pages: list[str]) -> str:
    """The text of the pages after the cover, up to the first heading 'Appendix: …'."""
    text = ""
    for page in pages[1:]:
        heading = re.search(r"^Appendix:", page, re.MULTILINE)
        if heading:
            return text + page[:heading.start()]
        text += page
    return text


def render_email_at(folder: Path, config: Any, period: Any, width: int = 375) -> tuple[str, bool]:
    """The email of a published folder as a mail client shows it: the .eml composed, its HTML
    part with every cid: image resolved from the message's own parts, opened in headless
    Chromium at `width` pixels. Its HTML, and whether the page fits the width with every image
    drawn (a probe paints a corner green or red, read back from the screenshot)."""
    import base64
    import shutil
    import tempfile
    from email import policy
    from email.parser import BytesParser

    from PIL import Image

    from reportgen.jobs.deliver import compose

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    message = BytesParser(policy=policy.default).parsebytes(
        compose(folder, config, period, "reports@example.com").as_bytes())
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    html = body.get_content()
    images = {part["Content-ID"].strip("<>"): part.get_payload(decode=True)
              for part in message.walk()
              if part["Content-ID"] and part.get_content_maintype() == "image"}
    resolved = re.sub(r"cid:([^\"']+)", lambda m: "data:image/png;base64,"
                      + base64.b64encode(images[m.group(1)]).decode(), html)
    # Measured again after every resize: headless Chromium opens its window wider, then
    # narrows it to the screenshot's width.
    probe = ("<script>const mark = document.createElement('div');"
             "mark.style = 'position:fixed;left:0;top:0;width:16px;height:16px;z-index:99999';"
             "function check() {"
             "const fits = document.documentElement.scrollWidth <= window.innerWidth"
             f" && window.innerWidth <= {width};"
             "const drawn = [...document.images].every(i => i.complete && i.naturalWidth > 0);"
             "mark.style.background = fits && drawn ? '#00ff00' : '#ff0000';}"
             "window.addEventListener('load', () => {document.body.appendChild(mark); check();"
             "setTimeout(check, 1000);});"
             "window.addEventListener('resize', check);</script>")
    with tempfile.TemporaryDirectory() as temp:
        page = Path(temp) / "email.html"
        page.write_text(resolved.replace("</body>", probe + "</body>"), encoding="utf-8")
        shot = Path(temp) / "shot.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={temp}/profile", f"--window-size={width},1600",
                        "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri()],
                       capture_output=True, timeout=120, check=False)
        image = Image.open(shot).convert("RGB")
        assert image.size[0] == width
        red, green, _ = image.getpixel((6, 6))  # type: ignore[misc]
    return html, green > 200 and red < 80
