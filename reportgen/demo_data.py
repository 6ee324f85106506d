"""Deterministic synthetic transactions in the Online Retail schema, with known true parameters.

Identified customers buy by a BG/NBD process (Fader, Hardie & Lee 2005) in weekly time:
each customer's purchase rate is lambda ~ Gamma(r, alpha), and after every repeat purchase
the customer drops out with probability p ~ Beta(a, b). Each identified customer collects one
kind of item, so what they buy next follows what they bought (product suggestions have
something to learn). On top come the things real exports
contain: guest orders without a customer id, cancellations (most matching a purchase, one of
them a huge mistaken order), postage and fee lines, free items, missing descriptions, exact
duplicate lines and a few unreadable rows, so every cleaning rule has something to count.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from reportgen.outputs.publish import write_atomic

COLOURS = ("WHITE", "RED", "PINK", "BLUE", "GREEN", "CREAM", "IVORY", "BLACK", "GOLD", "SILVER",
           "PASTEL", "VINTAGE", "RETRO", "NATURAL", "ROSE")
MATERIALS = ("HEART", "METAL", "WOODEN", "GLASS", "CERAMIC", "ENAMEL", "PAPER", "FELT", "LACE",
             "PAISLEY", "POLKADOT", "REGENCY", "JUMBO", "MINI", "HANGING")
ITEMS = ("T-LIGHT HOLDER", "LANTERN", "COAT HANGER", "TEA CUP AND SAUCER", "CAKE STAND",
         "BUNTING", "LUNCH BAG", "HOT WATER BOTTLE", "PHOTO FRAME", "DOORSTOP", "GIFT WRAP",
         "NAPKINS", "CANDLE", "STORAGE TIN", "CHRISTMAS DECORATION", "CUSHION COVER",
         "JAM JAR", "NOTEBOOK", "CLOCK", "SHOPPING BAG", "BAKING SET", "PLACEMATS",
         "PARTY CUPS", "ALARM CLOCK BAKELIKE", "DOOR MAT")
COUNTRY_WEIGHTS = {
    "United Kingdom": 0.80, "Germany": 0.045, "France": 0.04, "EIRE": 0.025, "Spain": 0.015,
    "Netherlands": 0.015, "Belgium": 0.012, "Switzerland": 0.01, "Portugal": 0.01,
    "Norway": 0.008, "Australia": 0.008, "Italy": 0.007, "Sweden": 0.005,
}
QUANTITIES = np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 48, 96])
QUANTITY_WEIGHTS = np.array([10, 12, 6, 6, 12, 5, 5, 18, 10, 5, 1], dtype=float)
HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 0, 1, 4, 9, 12, 13, 15, 14, 12, 10, 7, 4, 2, 2, 1,
                         0, 0, 0], dtype=float)
CUSTOMER_ID_START = 12_000
PEAK_DAY = 320  # mid-November: the busiest day of a seasonal year
MONTH_WEIGHTS = np.array([0.8, 0.75, 0.9, 0.85, 0.9, 0.9, 0.85, 0.9, 1.1, 1.25, 1.5, 1.2])


@dataclass(frozen=True)
class DemoSpec:
    """What to simulate: size, time window, true BG/NBD parameters (weekly) and noise rates."""

    customers: int = 4_000
    seed: int = 20240101
    start: datetime = datetime(2023, 1, 1)
    end: datetime = datetime(2025, 1, 1)
    r: float = 0.75
    alpha: float = 6.0
    a: float = 0.6
    b: float = 3.5
    purchase_seasonality: float = 0.5  # amplitude of the yearly cycle of repeat purchases
    products: int = 1_200
    collection_share: float = 0.5  # of an identified customer's lines: from their collection
    mean_basket_lines: float = 9.0
    guest_invoice_share: float = 0.15
    cancelled_line_share: float = 0.02
    partial_return_share: float = 0.005
    duplicate_line_share: float = 0.01
    postage_invoice_share: float = 0.08
    free_line_share: float = 0.002
    unreadable_rows: int = 3
    countries: dict[str, float] = field(default_factory=lambda: dict(COUNTRY_WEIGHTS))

    @property
    def weeks(self) -> float:
        """Length of the simulated window in weeks."""
        return (self.end - self.start) / timedelta(weeks=1)


@dataclass(frozen=True)
class DemoData:
    """Simulated transactions and the truth they were drawn from."""

    transactions: pl.DataFrame
    spec: DemoSpec
    purchase_rate: np.ndarray  # true lambda per identified customer (per week)
    dropout_probability: np.ndarray  # true p per identified customer


def generate_transactions(spec: DemoSpec) -> DemoData:
    """Simulate the spec's transactions; the same spec always gives the same rows."""
    rng = np.random.default_rng(spec.seed)
    catalogue = product_catalogue(rng, spec.products)
    lam = rng.gamma(spec.r, 1.0 / spec.alpha, spec.customers)
    p = rng.beta(spec.a, spec.b, spec.customers)
    births = seasonal_times(rng, spec, spec.customers, growth=0.6)
    simulated = simulate_customers(rng, lam, p, births, spec.weeks,
                                   spec.purchase_seasonality, spec.start)
    owners, weeks = simulated.owners, simulated.times
    countries = np.array(list(spec.countries))
    weights = np.array(list(spec.countries.values()))
    customer_country = rng.choice(len(countries), spec.customers, p=weights / weights.sum())
    customer_ids = CUSTOMER_ID_START + rng.permutation(spec.customers)
    basket = rng.gamma(2.0, spec.mean_basket_lines / 2.0, spec.customers)

    guest_count = int(len(weeks) * spec.guest_invoice_share / (1 - spec.guest_invoice_share))
    guest_weeks = seasonal_times(rng, spec, guest_count, growth=0.3)
    invoices = pl.DataFrame({
        "week": np.concatenate([weeks, guest_weeks]),
        "customer_id": np.concatenate([customer_ids[owners], np.full(guest_count, -1)]),
        "country": np.concatenate([
            customer_country[owners], np.zeros(guest_count, dtype=np.int64)
        ]),
        "basket": np.concatenate([basket[owners], np.full(guest_count, spec.mean_basket_lines)]),
    })
    invoices = invoices.with_columns(
        timestamps(rng, spec, invoices["week"].to_numpy()).alias("invoice_date")
    ).sort("invoice_date", "customer_id").with_row_index("invoice_no", offset=536_000)

    lines = invoice_lines(rng, spec, invoices, catalogue)
    lines = add_postage_and_free_lines(rng, spec, lines, invoices)
    cancellations = cancellation_lines(rng, spec, lines)
    table = (
        pl.concat([lines, cancellations])
        .join(pl.DataFrame({"country_index": range(len(countries)), "Country": countries}),
              on="country_index")
        .sort("InvoiceDate", "InvoiceNo", "line")
    )
    table = add_exact_duplicates(rng, spec, table)
    transactions = table.select(
        "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
        pl.when(pl.col("customer_id") >= 0).then(pl.col("customer_id")).alias("CustomerID"),
        "Country",
    )
    return DemoData(transactions, spec, lam, p)


def product_catalogue(rng: np.random.Generator, size: int) -> pl.DataFrame:
    """Products with names, prices and Zipf-like popularity."""
    kinds = [(i * 7 + i // 11) % len(ITEMS) for i in range(size)]
    names = [
        f"{COLOURS[i % len(COLOURS)]} {MATERIALS[(i // len(COLOURS)) % len(MATERIALS)]} "
        f"{ITEMS[kinds[i]]}"
        for i in range(size)
    ]
    popularity = 1.0 / np.arange(1, size + 1) ** 1.05
    return pl.DataFrame({
        "StockCode": [f"{20_000 + i * 7}{'AB'[i % 2] if i % 9 == 0 else ''}" for i in range(size)],
        "Description": names,
        "price": np.round(np.exp(rng.normal(1.0, 0.7, size)), 2).clip(0.19, 60.0),
        "popularity": popularity / popularity.sum(),
        "kind": kinds,
    })


def seasonal_times(
    rng: np.random.Generator, spec: DemoSpec, count: int, growth: float
) -> np.ndarray:
    """Times in weeks since start, denser late in the year and as the business grows."""
    accepted: list[np.ndarray] = []
    total = 0
    ceiling = (1 + growth) * MONTH_WEIGHTS.max()
    while total < count:
        candidates = rng.random(max(count, 1000) * 2) * spec.weeks
        months = _month_of_day(spec, (candidates * 7).astype(np.int64))
        density = (1 + growth * candidates / spec.weeks) * MONTH_WEIGHTS[months]
        keep = candidates[rng.random(candidates.size) * ceiling < density]
        accepted.append(keep)
        total += keep.size
    return np.concatenate(accepted)[:count]


def _month_of_day(spec: DemoSpec, days: np.ndarray) -> np.ndarray:
    """Calendar month (0-11) of each day offset from the start."""
    start = np.datetime64(spec.start.date())
    dates = start + days.astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(np.int64) % 12


@dataclass(frozen=True)
class SimulatedCustomers:
    """Purchase times (weeks since the start) per customer, and who is still alive at the end."""

    owners: np.ndarray  # customer index of each purchase
    times: np.ndarray  # its time in weeks since the start
    alive: np.ndarray  # per customer: not dropped out by the end


def simulate_customers(
    rng: np.random.Generator, lam: np.ndarray, p: np.ndarray, births: np.ndarray, weeks: float,
    seasonality: float = 0.0, start: datetime = datetime(2023, 1, 1),
) -> SimulatedCustomers:
    """BG/NBD: first purchase at birth, Poisson repeats at rate lambda until dropout.

    Given N Poisson events in (birth, end], their times are sorted uniforms; a customer who
    drops out after repeat purchase J (J ~ Geometric(p)) keeps only the first min(N, J), and
    is alive at the end when N < J. With `seasonality` s > 0 the repeat rate is
    lambda x (1 + s cos(2 pi (day of year - PEAK_DAY) / 365.25)), averaging lambda over a year:
    events are drawn at rate lambda (1 + s) and each kept with probability the season's share.
    """
    span = weeks - births
    events = rng.poisson(lam * span * (1 + seasonality))
    lifetime_repeats = rng.geometric(p)
    owner = np.repeat(np.arange(lam.size), events)
    times = births[owner] + rng.random(owner.size) * span[owner]
    if seasonality > 0:
        keep = rng.random(owner.size) * (1 + seasonality) < season_curve(times, start,
                                                                          seasonality)
        owner, times = owner[keep], times[keep]
        events = np.bincount(owner, minlength=lam.size)
    kept = np.minimum(events, lifetime_repeats)
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    first_index = np.cumsum(events) - events
    rank = np.arange(owner.size) - first_index[owner]
    repeat_mask = rank < kept[owner]
    all_owners = np.concatenate([np.arange(lam.size), owner[repeat_mask]])
    all_times = np.concatenate([births, times[repeat_mask]])
    return SimulatedCustomers(all_owners, all_times, events < lifetime_repeats)


def purchase_times(
    rng: np.random.Generator, lam: np.ndarray, p: np.ndarray, births: np.ndarray, weeks: float
) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD purchase owners and times without seasonality (see simulate_customers)."""
    simulated = simulate_customers(rng, lam, p, births, weeks)
    return simulated.owners, simulated.times


def season_curve(weeks: np.ndarray, start: datetime, seasonality: float) -> np.ndarray:
    """1 + s cos(2 pi (day of year - PEAK_DAY) / 365.25) at each time (weeks since start)."""
    day_of_year = (start.timetuple().tm_yday + weeks * 7) % 365.25
    return np.asarray(1 + seasonality * np.cos(2 * np.pi * (day_of_year - PEAK_DAY) / 365.25))


def timestamps(rng: np.random.Generator, spec: DemoSpec, weeks: np.ndarray) -> pl.Series:
    """Turn weeks since start into timestamps on the same day, at shop hours."""
    days = np.floor(weeks * 7).astype(np.int64)
    hours = rng.choice(24, weeks.size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minutes = rng.integers(0, 60, weeks.size)
    seconds = ((days * 24 + hours) * 60 + minutes) * 60
    start = np.datetime64(spec.start, "us")
    return pl.Series("invoice_date", start + (seconds * 1_000_000).astype("timedelta64[us]"))


def invoice_lines(
    rng: np.random.Generator, spec: DemoSpec, invoices: pl.DataFrame, catalogue: pl.DataFrame
) -> pl.DataFrame:
    """Product lines of each invoice: basket size ~ 1 + Poisson(customer's mean)."""
    counts = 1 + rng.poisson(invoices["basket"].to_numpy())
    invoice_index = np.repeat(np.arange(invoices.height), counts)
    product = rng.choice(catalogue.height, invoice_index.size, p=catalogue["popularity"].to_numpy())
    product = lean_to_collections(spec, catalogue, invoices["customer_id"].to_numpy()[invoice_index],
                                  product)
    quantity = rng.choice(QUANTITIES, invoice_index.size, p=QUANTITY_WEIGHTS / QUANTITY_WEIGHTS.sum())
    price = catalogue["price"].to_numpy()[product]
    price = np.where(quantity >= 24, np.round(price * 0.85, 2), price)
    first_line = np.cumsum(counts) - counts
    return pl.DataFrame({
        "invoice_index": invoice_index,
        "line": np.arange(invoice_index.size) - first_line[invoice_index],
        "StockCode": catalogue["StockCode"].to_numpy()[product],
        "Description": catalogue["Description"].to_numpy()[product],
        "Quantity": quantity,
        "UnitPrice": price,
    }).join(
        invoices.with_row_index("invoice_index").select(
            pl.col("invoice_index").cast(pl.Int64),
            pl.col("invoice_no").cast(pl.String).alias("InvoiceNo"),
            pl.col("invoice_date").alias("InvoiceDate"),
            "customer_id",
            pl.col("country").alias("country_index"),
        ),
        on="invoice_index",
    ).drop("invoice_index")


def lean_to_collections(
    spec: DemoSpec, catalogue: pl.DataFrame, customer_of_line: np.ndarray, product: np.ndarray
) -> np.ndarray:
    """Each identified customer collects one kind of item (lanterns, cake stands, ...): a
    share `collection_share` of their lines is drawn from that kind, by popularity, so that
    products bought by the same customers carry the signal product suggestions learn from.

    Draws from a stream of its own, so every other simulated value stays as it was."""
    rng = np.random.default_rng([spec.seed, 1])
    kinds = catalogue["kind"].to_numpy()
    popularity = catalogue["popularity"].to_numpy()
    taste = rng.integers(0, kinds.max() + 1, spec.customers)
    known = customer_of_line >= 0
    collected = known & (rng.random(product.size) < spec.collection_share)
    line_kind = np.where(known, taste[np.clip(customer_of_line - CUSTOMER_ID_START, 0, None)], -1)
    chosen = product.copy()
    for kind in np.unique(line_kind[collected]):
        lines = np.flatnonzero(collected & (line_kind == kind))
        members = np.flatnonzero(kinds == kind)
        weights = popularity[members] / popularity[members].sum()
        chosen[lines] = rng.choice(members, lines.size, p=weights)
    return chosen


def add_postage_and_free_lines(
    rng: np.random.Generator, spec: DemoSpec, lines: pl.DataFrame, invoices: pl.DataFrame
) -> pl.DataFrame:
    """Postage on some invoices (mostly abroad); free items; a few lines with no description."""
    heads = lines.filter(pl.col("line") == 0)
    abroad = heads["country_index"].to_numpy() > 0
    share = np.where(abroad, min(1.0, spec.postage_invoice_share * 6), spec.postage_invoice_share)
    postage = heads.filter(pl.Series(rng.random(heads.height) < share)).with_columns(
        pl.lit("POST").alias("StockCode"), pl.lit("POSTAGE").alias("Description"),
        pl.lit(1, pl.Int64).alias("Quantity"), pl.lit(18.0).alias("UnitPrice"),
        pl.lit(999, pl.Int64).alias("line"),
    )
    free = pl.Series(rng.random(lines.height) < spec.free_line_share)
    no_description = free & pl.Series(rng.random(lines.height) < 0.5)
    lines = lines.with_columns(
        pl.when(free).then(0.0).otherwise(pl.col("UnitPrice")).alias("UnitPrice"),
        pl.when(no_description).then(None).otherwise(pl.col("Description")).alias("Description"),
    )
    return pl.concat([lines, postage.select(lines.columns)])


def cancellation_lines(rng: np.random.Generator, spec: DemoSpec, lines: pl.DataFrame) -> pl.DataFrame:
    """Cancelled lines (matching their purchase), partial returns, and one huge mistaken order."""
    identified = lines.filter((pl.col("customer_id") >= 0) & (pl.col("StockCode") != "POST"))
    draw = rng.random(identified.height)
    full = identified.filter(pl.Series(draw < spec.cancelled_line_share))
    partial = identified.filter(
        pl.Series((draw >= spec.cancelled_line_share)
                  & (draw < spec.cancelled_line_share + spec.partial_return_share))
        & (pl.col("Quantity") >= 2)
    ).with_columns((pl.col("Quantity") // 2).alias("Quantity"))
    returned = pl.concat([full, partial])
    delay_minutes = rng.exponential(60 * 24 * 3, returned.height).astype(np.int64) + 5
    cancellations = returned.with_columns(
        ("C" + pl.col("InvoiceNo")).alias("InvoiceNo"),
        (-pl.col("Quantity")).alias("Quantity"),
        (pl.col("InvoiceDate") + pl.duration(minutes=pl.lit(pl.Series(delay_minutes)))).alias(
            "InvoiceDate"
        ),
    ).filter(pl.col("InvoiceDate") < spec.end)
    mistake = identified.sort("InvoiceDate").slice(identified.height * 3 // 4, 1)
    mistaken_order = mistake.with_columns(
        (pl.col("InvoiceNo") + "9").alias("InvoiceNo"),
        pl.lit(80_995, pl.Int64).alias("Quantity"), pl.lit(2.08).alias("UnitPrice"),
        pl.lit(0, pl.Int64).alias("line"),
    )
    undo = mistaken_order.with_columns(
        ("C" + pl.col("InvoiceNo")).alias("InvoiceNo"), (-pl.col("Quantity")).alias("Quantity"),
        (pl.col("InvoiceDate") + pl.duration(minutes=12)).alias("InvoiceDate"),
    )
    return pl.concat([cancellations, mistaken_order, undo])


def add_exact_duplicates(rng: np.random.Generator, spec: DemoSpec, table: pl.DataFrame) -> pl.DataFrame:
    """Repeat a share of lines exactly, right after the original, as double-posted exports do."""
    repeat = 1 + (rng.random(table.height) < spec.duplicate_line_share).astype(np.int64)
    return table.select(pl.all().repeat_by(pl.Series(repeat)).explode())


def write_demo_csv(data: DemoData, path: Path) -> None:
    """Write the transactions as UTF-8 CSV with a few unreadable rows, and the truth beside it."""
    rng = np.random.default_rng(data.spec.seed + 1)
    text = data.transactions.with_columns(
        pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S"),
        pl.col("UnitPrice").round(2),
    ).cast(pl.String)
    bad_rows = rng.choice(text.height, data.spec.unreadable_rows, replace=False)
    broken = ("InvoiceDate", "Quantity", "UnitPrice")
    for index, row in enumerate(sorted(bad_rows)):
        column = broken[index % len(broken)]
        text = text.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit("#VALUE!"))
            .otherwise(pl.col(column)).alias(column)
        )
    write_atomic(path, text.write_csv().encode("utf-8"))
    write_atomic(path.with_name(path.stem + ".truth.json"), demo_truth_json(data).encode())


def demo_truth_json(data: DemoData) -> str:
    """The spec and observed counts, so a reader can check what the models recover."""
    spec = asdict(data.spec)
    spec["start"] = data.spec.start.isoformat()
    spec["end"] = data.spec.end.isoformat()
    return json.dumps(
        {
            "description": "reportgen demo data: identified customers follow BG/NBD "
            "(weekly time unit) with these true parameters",
            "spec": spec,
            "lines": data.transactions.height,
        },
        indent=2,
    ) + "\n"


def simulated_purchases(
    rng: np.random.Generator, owners: np.ndarray, weeks: np.ndarray, start: datetime
) -> pl.DataFrame:
    """One purchase line per simulated purchase (customer_id, invoice, invoice_date, revenue).

    For tests and benchmarks that need the BG/NBD purchase process at scale without the
    product lines, cancellations and noise of the full demo data.
    """
    micros = np.round(weeks * 7 * 86_400 * 1_000_000).astype(np.int64)
    return pl.DataFrame({
        "customer_id": pl.Series(owners).cast(pl.String),
        "invoice": pl.Series(np.arange(owners.size)).cast(pl.String),
        "invoice_date": np.datetime64(start, "us") + micros.astype("timedelta64[us]"),
        "revenue": np.round(rng.gamma(2.0, 20.0, owners.size), 2),
    })
