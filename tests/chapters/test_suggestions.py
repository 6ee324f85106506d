"""Product suggestions on hand-made baskets: the methods' weights, the ranking, the "because"
product, what is excluded, the backtest's measures and the fallback to popularity."""

from __future__ import annotations

from datetime import datetime, timedelta

import narwhals as nw
import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from conftest import UnitFactory, lines

from reportgen.chapters.products.analysis import main_descriptions
from reportgen.chapters.suggestions.analysis import (
    purchase_window,
    suggestion_backtest,
    suggestions_analysis,
)
from reportgen.config import SuggestionsConfig, load_unit_config
from reportgen.inputs.clean import clean_lines, clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.inputs.reduce import collected, customer_products_of, descriptions, orders_of
from reportgen.models.recommend.affinity import offers_by_segment, product_pairs
from reportgen.models.recommend.matrix import kept_products, purchase_matrix
from reportgen.models.recommend.ranking import buy_again_lists, chosen_method, fit_suggestions
from reportgen.models.recommend.weights import fit_ease, fit_item_item
from reportgen.period import Period

PERIOD = Period(2011, 11)  # analysis date 1 Dec 2011
NOW = datetime(2011, 11, 10, 12, 0)


def bought(*rows: tuple[str, str, str] | tuple[str, str, str, int, int]) -> pl.DataFrame:
    """Clean purchase lines from (customer, stock_code, day[, quantity, returned_units])."""
    records = []
    for number, row in enumerate(rows):
        customer, code, day, *units = row
        quantity, returned = units if units else (1, 0)
        records.append({"invoice": str(number), "stock_code": code,
                        "description": f"PRODUCT {code}", "quantity": quantity,
                        "invoice_date": datetime.fromisoformat(day), "unit_price": 1.0,
                        "customer_id": customer, "country": "United Kingdom",
                        "returned_units": returned, "revenue": float(quantity)})
    return pl.DataFrame(records)


def reduced(purchases: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The reduced tables suggestions read, of purchase lines: customer products, descriptions
    and orders."""
    return (customer_products_of(purchases),
            collected(descriptions(nw.from_native(purchases.lazy()))), orders_of(purchases))


def baskets(*customers: tuple[str, str], day: str = "2011-11-10") -> pl.DataFrame:
    """Purchases on one day from (customer, "P1 P2 ...") pairs."""
    return bought(*[(customer, code, day) for customer, codes in customers
                    for code in codes.split()])


def suggested(purchases: pl.DataFrame, **params: object) -> dict[str, list[tuple[str, str | None]]]:
    """Each customer's suggestions as (stock_code, because_stock_code), best first."""
    config = SuggestionsConfig(min_product_customers=1, **params)  # type: ignore[arg-type]
    products, named, _ = reduced(purchases)
    fitted = fit_suggestions(products, purchase_window(PERIOD, config), config, config.method)
    assert fitted is not None
    from reportgen.chapters.suggestions.analysis import customer_suggestions
    table = customer_suggestions(fitted, fitted.model, fitted.matrix.customers,
                                 main_descriptions(named), config.per_customer)
    return {customer: list(zip(group["stock_code"], group["because_stock_code"], strict=True))
            for (customer,), group in table.sort("customer_id", "rank").group_by(
                "customer_id", maintain_order=True)}


def test_ease_weights_solve_each_products_ridge_regression() -> None:
    rng = np.random.default_rng(7)
    matrix = (rng.random((40, 8)) < 0.35).astype(np.float64)
    penalty = 2.0
    weights = fit_ease(sp.csr_matrix(matrix.astype(np.float32)), penalty,
                       np.zeros(8, np.float32)).weights
    assert isinstance(weights, np.ndarray)
    for j in range(8):
        others = [i for i in range(8) if i != j]
        x = matrix[:, others]
        # argmin ||X_j - X_-j b||² + penalty ||b||², solved directly
        expected = np.linalg.solve(x.T @ x + penalty * np.eye(7), x.T @ matrix[:, j])
        assert weights[others, j] == pytest.approx(expected, abs=2e-5)
        assert weights[j, j] == 0


def test_item_item_keeps_each_products_nearest_neighbours_by_cosine() -> None:
    # P1 and P2 share 2 buyers of 2 and 3: cosine 2 / sqrt(6); P1 and P3 share 1 of 2 and 1.
    matrix = purchase_matrix(pl.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c", "c"],
        "stock_code": ["P1", "P2", "P1", "P2", "P2", "P3"],
    }))
    weights = fit_item_item(matrix.bought, 1, np.zeros(3, np.float32)).weights
    assert sp.issparse(weights)
    dense = weights.toarray()
    # one neighbour per product (per column): P1 -> P2, P2 -> P1 (2/sqrt(6) > 1/sqrt(3)),
    # P3 -> P2 (its only co-buyer)
    assert dense[1, 0] == pytest.approx(2 / np.sqrt(6))
    assert dense[0, 1] == pytest.approx(2 / np.sqrt(6))
    assert dense[1, 2] == pytest.approx(1 / np.sqrt(3))
    assert np.count_nonzero(dense) == 3


def test_item_item_in_blocks_keeps_the_top_neighbours_of_the_whole_cosine_matrix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Co-purchases counted 7 products at a time (issue 35: memory that grows with the
    catalogue, not its square) keep, for each candidate product, the same top-5 cosine
    neighbours as the whole matrix computed densely; products outside the candidates are
    neither inputs nor outputs."""
    from reportgen.models.recommend import weights as weights_module

    bought = sp.random(80, 40, density=0.12, random_state=5, format="csr", dtype=np.float32)
    bought.data[:] = 1.0
    candidates = np.flatnonzero(np.arange(40) % 4 != 3)  # every fourth product left out
    monkeypatch.setattr(weights_module, "BLOCK_PRODUCTS", 7)
    fitted = fit_item_item(bought, 5, np.zeros(40, np.float32), candidates)
    blocked = fitted.weights.toarray()
    dense = bought.toarray()[:, candidates]
    norm = np.sqrt(dense.sum(axis=0))
    norm[norm == 0] = 1.0
    cosine = (dense.T @ dense) / norm[:, None] / norm[None, :]
    np.fill_diagonal(cosine, 0.0)
    for j in range(candidates.size):
        similar = np.flatnonzero(cosine[:, j] > 0)
        top = similar[np.argsort(-cosine[similar, j], kind="stable")][:5]
        assert set(np.flatnonzero(blocked[:, j])) == set(top), j
        assert blocked[top, j] == pytest.approx(cosine[top, j], rel=1e-5)
    # Scores and contributions in the purchase matrix's columns: none for a left-out product.
    scores = fitted.scores(bought[:3])
    assert scores.shape == (3, candidates.size)
    assert scores == pytest.approx(dense[:3] @ blocked, rel=1e-5)
    left_out = np.array([3, 7]), np.array([0, 1])
    assert not fitted.contributions(*left_out).any()
    i, j = np.unravel_index(np.argmax(blocked), blocked.shape)
    assert fitted.contributions(candidates[[i]], candidates[[j]])[0] == blocked[i, j]


@pytest.mark.parametrize("method", ["ease", "item_item"])
def test_suggestions_follow_what_similar_customers_bought_and_say_why(method: str) -> None:
    purchases = baskets(
        ("a", "P1 P2 P3"), ("b", "P1 P2 P3"), ("c", "P1 P2"),
        ("d", "P4 P5"), ("e", "P4 P5"), ("f", "P4 P5 P6"),
        ("g", "P1 P4"),  # bought one product of each group
        ("h", "P1"),
    )
    lists = suggested(purchases, method=method, per_customer=2, regularisation=5.0)
    # h bought P1: P2 (bought by every P1 buyer) then P3, each because of P1
    assert lists["h"] == [("P2", "P1"), ("P3", "P1")]
    # g's suggestions come from both groups, each explained by the product of its group
    reasons = dict(lists["g"])
    assert reasons == {"P2": "P1", "P5": "P4"}
    # nobody is offered a product they bought
    for customer, codes in [("a", "P1 P2 P3"), ("g", "P1 P4"), ("f", "P4 P5 P6")]:
        assert not {code for code, _ in lists.get(customer, [])} & set(codes.split())


def test_popularity_suggests_the_recent_best_sellers_not_yet_bought_without_a_reason() -> None:
    purchases = pl.concat([
        baskets(("a", "P1 P2"), ("b", "P1 P2"), ("c", "P1 P3"), ("d", "P1")),
        baskets(("a", "OLD"), ("b", "OLD"), ("c", "OLD"), day="2011-01-10"),  # no longer sold
    ])
    lists = suggested(purchases, method="popularity", per_customer=3, recent_months=3)
    assert lists["d"] == [("P2", None), ("P3", None)]
    assert "OLD" not in {code for rows in lists.values() for code, _ in rows}


def test_auto_uses_ease_up_to_the_dense_limit_then_item_item() -> None:
    params = SuggestionsConfig(max_dense_products=100)
    assert chosen_method("auto", 100, params) == "ease"
    assert chosen_method("auto", 101, params) == "item_item"
    assert chosen_method("ease", 10_000, params) == "ease"
    purchases = baskets(*[(f"c{i}", f"P{i} P{i + 1} P{i + 2}") for i in range(20)])
    small = SuggestionsConfig(max_dense_products=10, min_product_customers=1)
    fitted = fit_suggestions(customer_products_of(purchases), purchase_window(PERIOD, small), small,
                             "auto")
    assert fitted is not None and fitted.matrix.products.len() == 22
    assert fitted.model.method == "item_item"


def test_fully_returned_and_non_product_lines_are_not_purchases(write_unit: UnitFactory) -> None:
    rows = [
        (f"{n}", code, 2, "2011-11-02 10:00:00", 1.5, customer)
        for n, (customer, code) in enumerate(
            [("A", "P1"), ("A", "P2"), ("B", "P1"), ("B", "P2"), ("C", "P1"), ("C", "POST"),
             ("D", "P1"), ("D", "P9")])
    ]
    rows.append(("C9", "P9", -2, "2011-11-03 10:00:00", 1.5, "D"))  # D returns P9 in full
    rows.append(("20", "POST", 1, "2011-11-02 10:00:00", 5.0, "A"))
    config = load_unit_config(write_unit(lines(*rows)))
    source = read_transactions(config)
    clean = clean_transactions(source, PERIOD.analysis_date, config.cleaning)
    pairs = kept_products(clean.customer_products, datetime(2011, 1, 1), PERIOD.analysis_date)
    assert sorted(pairs.rows()) == [("A", "P1"), ("A", "P2"), ("B", "P1"), ("B", "P2"),
                                    ("C", "P1"), ("D", "P1")]
    kept = clean_lines(source.transactions, PERIOD.analysis_date, config.cleaning)
    lists = suggested(kept.purchases, method="ease", per_customer=5)
    assert lists["C"] == [("P2", "P1")] and lists["D"] == [("P2", "P1")]
    assert "POST" not in {code for rows in lists.values() for code, _ in rows}


def test_a_partly_returned_product_still_counts_as_bought() -> None:
    purchases = bought(("a", "P1", "2011-11-02", 4, 3), ("a", "P2", "2011-11-02", 2, 2))
    pairs = kept_products(customer_products_of(purchases), datetime(2011, 1, 1), PERIOD.analysis_date)
    assert pairs.rows() == [("a", "P1")]


def test_buy_again_ranks_products_by_days_bought_then_recency() -> None:
    purchases = bought(
        ("a", "P1", "2011-10-01"), ("a", "P1", "2011-10-01"), ("a", "P1", "2011-10-05"),
        ("a", "P2", "2011-11-20"),
        ("a", "P3", "2011-09-01"), ("a", "P3", "2011-09-02"),
        ("a", "P4", "2011-11-25"),
        ("b", "P1", "2011-11-01"),
    )
    lists = buy_again_lists(customer_products_of(purchases), pl.Series(["a"]),
                            purchase_window(PERIOD, SuggestionsConfig(history_months=24)), 3)
    assert lists.select("rank", "stock_code", "days_bought").rows() == [
        (1, "P1", 2), (2, "P3", 2), (3, "P4", 1)]


def split_baskets() -> pl.DataFrame:
    """Before 1 Sep 2011, 20 "pool" customers buy 10 of 30 products that go together, and 40
    others make HIT the best seller; from September every pool customer buys HIT, new to them,
    and nothing else. Popularity suggests HIT to all of them; a co-purchase method suggests the
    pool's other products and misses."""
    rng = np.random.default_rng(3)
    rows: list[tuple[str, str, str]] = []
    for n in range(20):
        for code in rng.choice(30, 10, replace=False):
            rows.append((f"pool{n}", f"Q{code}", "2011-08-10"))
        rows.append((f"pool{n}", "HIT", "2011-10-10"))
    rows += [(f"fan{n}", "HIT", "2011-08-12") for n in range(40)]
    return bought(*rows)


def test_the_backtest_counts_hits_precision_recall_and_coverage_by_hand() -> None:
    params = SuggestionsConfig(method="ease", min_backtest_customers=20, per_customer=1)
    backtest = suggestion_backtest(customer_products_of(split_baskets()), PERIOD, params, "ease")
    assert not isinstance(backtest, str)
    assert backtest.learned_until == datetime(2011, 9, 1)
    assert backtest.customers == 20
    # popularity: HIT for everyone, each customer's one new product
    popular = backtest.popularity
    assert (popular.hit_rate, popular.precision, popular.recall) == (1.0, 1.0, 1.0)
    # of the 31 products that can be suggested (HIT, and the 30 of the pool: 2 or more buyers
    # in the recent 3 months), popularity suggests one
    assert popular.coverage == pytest.approx(1 / 31)
    # EASE suggests a pool product each customer has not bought: no hit
    method = backtest.method
    assert (method.hit_rate, method.precision, method.recall) == (0.0, 0.0, 0.0)
    assert not backtest.beats_popularity
    assert backtest.buy_again_customers == 0 and backtest.buy_again_hit_rate is None


def test_a_method_that_loses_to_popularity_falls_back_and_says_so() -> None:
    purchases = split_baskets()
    segments = pl.DataFrame({"customer_id": purchases["customer_id"].unique(),
                             "segment": "champions"})
    result = suggestions_analysis(*reduced(purchases), segments, PERIOD,
                                  SuggestionsConfig(method="ease", min_backtest_customers=20))
    assert result is not None
    assert result.tested_method == "ease" and result.method == "popularity"
    assert result.fallback is not None and "did not beat popularity" in result.fallback
    assert result.suggestions["because_stock_code"].null_count() == result.suggestions.height
    assert result.hit_rate == 1.0


def test_without_a_backtest_the_suggestions_are_best_sellers_and_the_reason_is_given() -> None:
    purchases = baskets(("a", "P1 P2"), ("b", "P1 P2"), ("c", "P1"))
    segments = pl.DataFrame({"customer_id": ["a", "b", "c"], "segment": "champions"})
    result = suggestions_analysis(*reduced(purchases), segments, PERIOD,
                                  SuggestionsConfig(min_product_customers=1))
    assert result is not None and result.backtest is None
    assert result.method == "popularity"
    assert result.fallback is not None and "could not be tested" in result.fallback
    assert result.backtest_missing is not None and "nothing to learn from" in result.backtest_missing
    assert result.suggestions.filter(pl.col("customer_id") == "c")["stock_code"].to_list() == ["P2"]


def test_the_method_that_beats_popularity_makes_the_suggestions() -> None:
    # Two tastes; in the test months each customer buys a product of their taste new to them.
    rows: list[tuple[str, str, str]] = []
    for n in range(60):
        group = "AB"[n % 2]
        kept = [f"{group}{k}" for k in range(6) if (n // 2 + k) % 6 != 0]
        rows += [(f"c{n}", code, "2011-08-15") for code in kept]
        rows.append((f"c{n}", f"{group}{-(n // 2) % 6}", "2011-10-15"))
    rows += [(f"fan{n}", "HIT", "2011-08-20") for n in range(50)]
    purchases = bought(*rows)
    segments = pl.DataFrame({"customer_id": purchases["customer_id"].unique(),
                             "segment": "loyal_customers"})
    result = suggestions_analysis(*reduced(purchases), segments, PERIOD,
                                  SuggestionsConfig(method="ease", regularisation=1.0,
                                                    per_customer=1))
    assert result is not None and result.backtest is not None
    assert result.backtest.method.hit_rate == 1.0 and result.backtest.popularity.hit_rate == 0.0
    assert result.method == "ease" and result.fallback is None
    assert result.suggested_products.height == result.active_customers


def test_product_pairs_count_customers_and_show_each_product_once() -> None:
    pairs = kept_products(customer_products_of(baskets(
        ("a", "P1 P2 P3"), ("b", "P1 P2 P3"), ("c", "P1 P2"), ("d", "P3 P4"), ("e", "P4"))),
        datetime(2011, 1, 1), PERIOD.analysis_date)
    matrix = purchase_matrix(pairs)
    table = product_pairs(matrix, np.ones(4, dtype=bool), 2, 1.0, 10)
    # P1-P2: 3 of 3 and 3 (affinity 1); P2-P3 and P1-P3 would repeat P1 or P2; P3-P4: 1 < 2.
    # Without P2, P1-P3 (2 of 3 and 3; equal buyers: the lower code first).
    assert table.select("stock_code_a", "stock_code_b", "customers_both").rows() == [
        ("P1", "P2", 3)]
    assert table["lift"][0] == pytest.approx(3 * 5 / (3 * 3))
    assert product_pairs(matrix, np.array([True, False, True, True]), 2, 1.0, 10).select(
        "stock_code_a", "stock_code_b").rows() == [("P1", "P3")]
    # P1-P2's lift is 5/3: bought together 1.7 times as often as if unrelated
    assert product_pairs(matrix, np.ones(4, dtype=bool), 2, 1.6, 10).height == 1
    assert product_pairs(matrix, np.ones(4, dtype=bool), 2, 1.7, 10).is_empty()


def test_offers_by_segment_count_the_first_suggestions_of_its_customers() -> None:
    suggestions = pl.DataFrame({
        "customer_id": ["a", "a", "b", "b", "c", "c"], "rank": [1, 4, 1, 2, 1, 2],
        "stock_code": ["X", "Y", "X", "Z", "Y", "X"],
    })
    segments = pl.DataFrame({"customer_id": ["a", "b", "c"],
                             "segment": ["champions", "champions", "at_risk"]})
    offers = offers_by_segment(suggestions, segments, within_rank=3, top=2)
    assert offers.sort("segment", "rank").select(
        "segment", "stock_code", "customers_offered", "segment_customers").rows() == [
        ("at_risk", "X", 1, 1), ("at_risk", "Y", 1, 1),
        ("champions", "X", 2, 2), ("champions", "Z", 1, 2)]


def test_suggestions_leave_out_customers_inactive_in_the_last_months() -> None:
    purchases = pl.concat([
        baskets(("a", "P1 P2"), ("b", "P1 P2"), ("c", "P1")),
        baskets(("old", "P1"), day=(PERIOD.start - timedelta(days=400)).date().isoformat()),
    ])
    segments = pl.DataFrame({"customer_id": ["a", "b", "c", "old"], "segment": "champions"})
    result = suggestions_analysis(*reduced(purchases), segments, PERIOD,
                                  SuggestionsConfig(min_product_customers=1))
    assert result is not None and result.active_customers == 3
    assert "old" not in result.suggestions["customer_id"].to_list()


# Issue 32: suggestions that fit the moment and add something new.

def test_variant_descriptions_share_a_family() -> None:
    from reportgen.models.recommend.variants import family_key
    assert family_key("RED RETROSPOT CAKE CASES") == family_key("pink retrospot cake cases")
    assert family_key("SET OF 3 CAKE TINS PANTRY DESIGN") == "CAKE TINS PANTRY DESIGN"
    assert family_key("FLUID MILK") == family_key("Fluid milk")
    assert family_key("JUMBO BAG APPLES") != family_key("JUMBO BAG VINTAGE LEAF")
    assert family_key("RED") == "RED" and family_key(None) is None


def named(purchases: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    return purchases.with_columns(pl.col("stock_code").replace_strict(names).alias("description"))


def test_suggestions_leave_out_families_the_customer_buys_and_repeat_none() -> None:
    # M1 and M2 are both FLUID MILK (two codes); R1 and R2 are variants (colours) of one tin.
    purchases = named(baskets(
        ("a", "M1 B1 R1"), ("b", "M1 B1 R1"), ("c", "M2 B1 R2"), ("d", "M2 B1 R2"),
        ("e", "M1 R1 C1"), ("f", "M2 C1"), ("g", "M1"), ("h", "B1")),
        {"M1": "FLUID MILK", "M2": "FLUID MILK", "B1": "BREAD", "R1": "RED TIN",
         "R2": "BLUE TIN", "C1": "CHEESE"})
    config = SuggestionsConfig(min_product_customers=1, per_customer=5, backtest_months=1)
    segments = pl.DataFrame({"customer_id": list("abcdefgh"), "segment": ["x"] * 8})
    result = suggestions_analysis(*reduced(purchases), segments, PERIOD, config)
    assert result is not None
    lists = {customer: group.sort("rank")["description"].to_list()
             for (customer,), group in result.suggestions.group_by("customer_id")}
    # g bought FLUID MILK (M1): never M2, the same milk under another code
    assert "FLUID MILK" not in lists.get("g", [])
    # h gets at most one of the two tins, and ranks are consecutive
    assert sum(d.endswith("TIN") for d in lists["h"]) == 1
    for group in result.suggestions.partition_by("customer_id"):
        assert group.sort("rank")["rank"].to_list() == list(range(1, group.height + 1))
        assert group["description"].is_unique().all()
    # no pair of the same family (M1-M2 are bought by no one together; R1-R2 neither)
    for a, b in result.pairs.select("description_a", "description_b").rows():
        assert a != b


def test_product_pairs_never_pair_a_family_with_itself() -> None:
    pairs = kept_products(customer_products_of(baskets(
        ("a", "P1 P2 P3"), ("b", "P1 P2 P3"), ("c", "P1 P2"), ("d", "P3 P4"), ("e", "P4"))),
        datetime(2011, 1, 1), PERIOD.analysis_date)
    matrix = purchase_matrix(pairs)
    # P1 and P2 are one family: the best pair becomes P1-P3 (or P2-P3)
    table = product_pairs(matrix, np.ones(4, dtype=bool), 2, 1.0, 10,
                          family=np.array([1, 1, 2, 3]))
    assert ("P1", "P2") not in table.select("stock_code_a", "stock_code_b").rows()
    assert table.height >= 1


def months(code: str, monthly: list[int], first: datetime, lines: int = 10) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for offset, quantity in enumerate(monthly):
        month = datetime(first.year + (first.month - 1 + offset) // 12,
                         (first.month - 1 + offset) % 12 + 1, 1)
        if quantity:
            rows.append({"stock_code": code, "month": month, "quantity": quantity,
                         "lines": lines})
    return rows


def test_products_whose_season_is_over_are_not_suggested() -> None:
    from reportgen.models.recommend.season import off_season_products, out_of_season, season_of
    # Dec 2010 .. Nov 2011, calendar order Jan..Dec below
    winter = [24, 5, 87, 12, 17, 344, 233, 350, 1953, 3126, 7629, 2441]  # peak November
    assert season_of(winter) == (8, 11)  # September to December (0-based months)
    assert out_of_season(winter, (8, 11), 12)  # December: after the peak, January is over
    assert not out_of_season(winter, (8, 11), 11)  # November: its peak
    assert not out_of_season(winter, (8, 11), 7)  # July: stocking up two months ahead
    assert out_of_season(winter, (8, 11), 5)  # May: long before
    assert season_of([100] * 12) is None  # sells all year
    analysis = datetime(2011, 12, 1)
    rows = (months("XMAS", winter[11:] + winter[:11], datetime(2010, 12, 1))
            + months("ALLYEAR", [100] * 12, datetime(2010, 12, 1))
            + months("FEW", [0] * 9 + [5, 5, 0], datetime(2010, 12, 1), lines=1))
    # five older products named WINTER ... teach the word's season to a new one
    for n in range(5):
        rows += months(f"W{n}", winter[11:] + winter[:11], datetime(2010, 12, 1))
    rows += months("NEWW", [0] * 8 + [300, 900, 2000, 0], datetime(2010, 12, 1))
    frame = pl.DataFrame(rows)
    names = pl.DataFrame({"stock_code": ["XMAS", "ALLYEAR", "FEW", "NEWW"]
                          + [f"W{n}" for n in range(5)],
                          "description": ["SNOW GLOBE", "TEA TOWEL", "RARE VASE",
                                          "WINTER LANTERN"]
                          + [f"WINTER THING {n}" for n in range(5)]})
    off = off_season_products(frame, analysis, 12, names)
    assert set(off["stock_code"]) == {"XMAS", "NEWW", *(f"W{n}" for n in range(5))}
    learnt = dict(off.select("stock_code", "learnt_from").iter_rows())
    assert learnt["XMAS"] is None and learnt["NEWW"] == "WINTER"
    # in November all are in season
    assert off_season_products(frame, datetime(2011, 11, 1), 11, names).is_empty()
