"""Product suggestions: issue 16's protocol on the UCI data, the chapter's cost, and where
the dense EASE limit lies.

1. Protocol (all countries): learn from purchases before 1 Oct 2011, test against the products
   each customer bought for the first time in Oct-Nov 2011; hit rate, precision and recall at
   10 and coverage for EASE, item-to-item and popularity on the same customers.
2. The suggestions chapter on the UK unit for November 2011 (backtest and final fit
   included), as a ratio to the baseline in the same process: building the customer x product
   pairs it learns from; resident memory before and at its peak.
3. EASE fit time and matrix memory for 2,000 to 6,000 products (max_dense_products).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from reportgen.paths import PROJECT_DIR

if TYPE_CHECKING:
    from reportgen.inputs.clean import CleanTransactions

SHARED_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.parquet"
UK = PROJECT_DIR / "config" / "uk.yaml"


def protocol() -> None:
    """Issue 16's table."""
    from reportgen.chapters.suggestions.analysis import suggestion_backtest
    from reportgen.config import SuggestionsConfig
    from reportgen.period import Period

    clean = uci_clean(all_countries=True)
    params = SuggestionsConfig(backtest_months=2)
    print(f"{'method':<12} {'customers':>9} {'hit@10':>7} {'x popularity':>12} "
          f"{'precision@10':>12} {'recall@10':>9} {'coverage':>8} {'seconds':>7}")
    for method in ("ease", "item_item", "popularity"):
        started = time.perf_counter()
        backtest = suggestion_backtest(clean.customer_products, Period(2011, 11), params, method)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        assert not isinstance(backtest, str), backtest
        score = backtest.method
        ratio = score.hit_rate / backtest.popularity.hit_rate
        print(f"{method:<12} {backtest.customers:>9,} {score.hit_rate:>7.3f} {ratio:>11.2f}x "
              f"{score.precision:>12.3f} {score.recall:>9.3f} {score.coverage:>8.3f} "
              f"{seconds:>6.1f}s", flush=True)
    print(f"buy-again list: hit rate at 10 {backtest.buy_again_hit_rate:.3f} on "
          f"{backtest.buy_again_customers:,} customers who bought a product of theirs again")


def uci_clean(all_countries: bool) -> CleanTransactions:
    """The clean transactions of the UCI file up to 1 Dec 2011 (all countries or the UK unit)."""
    from reportgen.config import load_unit_config
    from reportgen.inputs.clean import clean_transactions
    from reportgen.inputs.load import read_transactions

    config = load_unit_config(UK)
    if all_countries:
        config = config.model_copy(update={"filters": config.filters.model_copy(
            update={"countries": None})})
    return clean_transactions(read_transactions(config), datetime(2011, 12, 1),
                              config.cleaning)


def chapter_cost() -> None:
    """The chapter on the UK unit, against building its pairs; peak memory in a child."""
    from reportgen.chapters.segments.rfm import rfm_analysis
    from reportgen.chapters.suggestions.analysis import suggestions_analysis
    from reportgen.config import RfmConfig, SuggestionsConfig
    from reportgen.models.recommend.matrix import kept_products, purchase_matrix
    from reportgen.period import Period

    clean = uci_clean(all_countries=False)
    period = Period(2011, 11)
    segments = rfm_analysis(clean.orders, clean.return_orders, period.analysis_date,
                            RfmConfig()).customers
    tables = (clean.customer_products, clean.descriptions, clean.orders)
    started = time.perf_counter()
    purchase_matrix(kept_products(clean.customer_products, datetime(2009, 12, 1),
                                  period.analysis_date))
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    result = suggestions_analysis(*tables, segments, period, SuggestionsConfig())
    seconds = time.perf_counter() - started
    assert result is not None
    print(f"UK 2011-11 chapter: {seconds:.2f}s for {result.active_customers:,} customers and "
          f"{result.products:,} products ({result.method}); baseline (pairs and matrix) "
          f"{baseline:.3f}s: {seconds / baseline:.0f}x")
    with RssSampler() as memory:
        suggestions_analysis(*tables, segments, period, SuggestionsConfig())
    print(f"memory while it runs: {memory.start / 2**20:.0f} MiB resident before, peak "
          f"{memory.peak / 2**20:.0f} MiB (+{(memory.peak - memory.start) / 2**20:.0f} MiB)")


class RssSampler:
    """Resident memory of this process sampled every 5 ms while the block runs (Linux)."""

    def __enter__(self) -> RssSampler:
        gc.collect()
        self.start = self.peak = resident_bytes()
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.005)


def resident_bytes() -> int:
    """This process's resident set size."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def dense_limit() -> None:
    """EASE fit time and memory by catalogue size, on 20 purchases per customer."""
    from reportgen.models.recommend.weights import fit_ease

    rng = np.random.default_rng(5)
    print(f"{'products':>8} {'customers':>9} {'fit':>7} {'one matrix':>10} {'peak added':>10}")
    for products in (2_000, 4_000, 6_000):
        customers = products * 2
        rows = np.repeat(np.arange(customers), 20)
        columns = rng.zipf(1.3, rows.size) % products
        bought = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, columns)),
                               shape=(customers, products))
        bought.data[:] = 1.0
        started = time.perf_counter()
        with RssSampler() as memory:
            fit_ease(bought, 300.0, np.zeros(products, np.float32))
        seconds = time.perf_counter() - started
        print(f"{products:>8,} {customers:>9,} {seconds:>6.2f}s "
              f"{products ** 2 * 4 / 2**20:>7.0f}MiB {(memory.peak - memory.start) / 2**20:>7.0f}MiB",
              flush=True)


def main() -> None:
    """Print the protocol table, the chapter's cost and the dense limit's figures."""
    if not SHARED_DATA.is_file():
        print(f"skipped the UCI protocol: {SHARED_DATA} is not available")
    else:
        protocol()
        chapter_cost()
    dense_limit()
