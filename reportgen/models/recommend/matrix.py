"""Who bought what: the customer-by-product matrix every suggestion method learns from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl
import scipy.sparse as sp

from reportgen.models.frames import in_months


@dataclass(frozen=True)
class PurchaseMatrix:
    """1 where a customer kept a product bought in the window (some units not returned).

    Rows are `customers` and columns `products` (stock codes), both sorted; `bought` is a
    sparse float32 matrix.
    """

    customers: pl.Series
    products: pl.Series
    bought: sp.csr_matrix

    @property
    def buyers(self) -> np.ndarray:
        """Customers who bought each product."""
        return np.asarray(self.bought.sum(axis=0)).ravel()

    def rows_of(self, customer_ids: pl.Series) -> np.ndarray:
        """Row numbers of the given customers (each must be in the matrix)."""
        index = pl.DataFrame({"customer_id": self.customers}).with_row_index("row")
        found = pl.DataFrame({"customer_id": customer_ids}).join(
            index, on="customer_id", how="left", maintain_order="left")["row"]
        if found.null_count():
            raise KeyError("customers outside the purchase matrix")
        return found.to_numpy().astype(np.int64)

    def columns_of(self, stock_codes: pl.Series) -> np.ndarray:
        """Column numbers of the given stock codes, -1 for codes not in the matrix."""
        index = pl.DataFrame({"stock_code": self.products}).with_row_index("column")
        found = pl.DataFrame({"stock_code": stock_codes}).join(
            index, on="stock_code", how="left", maintain_order="left")["column"]
        return found.fill_null(-1).to_numpy().astype(np.int64)


def kept_products(customer_products: pl.DataFrame, start: datetime, end: datetime
                  ) -> pl.DataFrame:
    """(customer_id, stock_code) of identified customers' purchases in the months [start, end)
    that they did not return in full: units bought minus units returned of them is positive.
    `customer_products` is `CleanTransactions.customer_products`."""
    return (
        customer_products.filter(in_months(start, end))
        .group_by("customer_id", "stock_code")
        .agg((pl.col("quantity") - pl.col("returned_units")).sum().alias("kept_units"))
        .filter(pl.col("kept_units") > 0)
        .select("customer_id", "stock_code")
    )


def purchase_matrix(pairs: pl.DataFrame) -> PurchaseMatrix:
    """The matrix of (customer_id, stock_code) pairs, as `kept_products` returns them."""
    coded = pairs.with_columns(
        (pl.col("customer_id").rank("dense") - 1).alias("row"),
        (pl.col("stock_code").rank("dense") - 1).alias("column"),
    )
    customers = pairs["customer_id"].unique().sort()
    products = pairs["stock_code"].unique().sort()
    bought = sp.csr_matrix(
        (np.ones(coded.height, dtype=np.float32),
         (coded["row"].to_numpy(), coded["column"].to_numpy())),
        shape=(customers.len(), products.len()),
    )
    bought.sum_duplicates()
    bought.data[:] = 1.0
    return PurchaseMatrix(customers, products, bought)


def recent_buyers(customer_products: pl.DataFrame, start: datetime, end: datetime
                  ) -> pl.DataFrame:
    """stock_code and how many identified customers bought it in the months [start, end)."""
    return (
        customer_products.filter(in_months(start, end))
        .group_by("stock_code")
        .agg(pl.col("customer_id").n_unique().cast(pl.Int64).alias("recent_buyers"))
    )
