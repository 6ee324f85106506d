"""Suggestion methods: each learns product-to-product weights from a purchase matrix.

A customer's score for product j is the sum, over the products i they bought, of weight[i, j];
the product i with the largest term is the suggestion's "because you bought".

- EASE (Steck 2019, "Embarrassingly shallow autoencoders"): the weights minimise
  ||X - XB||² + λ||B||² with a zero diagonal, in closed form: P = (XᵀX + λI)⁻¹,
  B = -P / diag(P), B_jj = 0. Dense products x products: used while the catalogue is at most
  `max_dense_products`.
- item_item: cosine similarity of products' buyer sets, keeping each product's `neighbours`
  most similar products: sparse, for catalogues of any size.
- popularity: every customer gets the products with the most recent buyers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.linalg.lapack as lapack
import scipy.sparse as sp

from reportgen.models.recommend.methods import FittedMethod


@dataclass(frozen=True)
class ProductWeights:
    """A fitted method: weight[i, j] is what having bought product i adds to product j's score
    (None for popularity), over the candidate products `columns` (the products that can be
    suggested; None: every product); `popularity` scores every product for everyone and breaks
    ties."""

    method: FittedMethod
    weights: np.ndarray | sp.csr_matrix | None
    popularity: np.ndarray
    columns: np.ndarray | None = None

    @property
    def candidates(self) -> np.ndarray:
        """The products scored (columns of the purchase matrix)."""
        return np.arange(self.popularity.size) if self.columns is None else self.columns

    def positions(self, products: np.ndarray) -> np.ndarray:
        """Each product's position among the candidates (-1 for one that is none)."""
        position = np.full(self.popularity.size, -1, dtype=np.int64)
        position[self.candidates] = np.arange(self.candidates.size)
        return np.asarray(position[products])

    def scores(self, bought: sp.csr_matrix) -> np.ndarray:
        """Each row's score for each candidate product (rows of a purchase matrix; columns in
        the order of `candidates`)."""
        if self.weights is None:
            return np.tile(self.popularity[self.candidates].astype(np.float32),
                           (bought.shape[0], 1))
        inputs = bought if self.columns is None else bought[:, self.columns]
        product = inputs @ self.weights
        return np.asarray(product.toarray() if sp.issparse(product) else product,
                          dtype=np.float32)

    def contributions(self, bought_products: np.ndarray, suggested: np.ndarray) -> np.ndarray:
        """weight[i, j] for each pair (bought_products[k], suggested[k]) (0 where either is
        not a candidate)."""
        if self.weights is None:
            return np.zeros(bought_products.size, dtype=np.float32)
        rows, columns = self.positions(bought_products), self.positions(suggested)
        found = (rows >= 0) & (columns >= 0)
        rows, columns = np.where(found, rows, 0), np.where(found, columns, 0)
        if sp.issparse(self.weights):
            values = np.asarray(self.weights[rows, columns], dtype=np.float32).ravel()
        else:
            values = np.asarray(self.weights[rows, columns], dtype=np.float32)
        return np.where(found, values, np.float32(0.0))


def fit_ease(bought: sp.csr_matrix, regularisation: float, popularity: np.ndarray,
             columns: np.ndarray | None = None) -> ProductWeights:
    """EASE weights in float32 over the candidate products `columns` (None: all), by a Cholesky
    inverse of the regularised Gram matrix."""
    inputs = bought if columns is None else bought[:, columns]
    if inputs.shape[1] == 0:  # no product can be suggested
        return ProductWeights("ease", np.zeros((0, 0), dtype=np.float32), popularity, columns)
    gram = (inputs.T @ inputs).toarray().astype(np.float32, copy=False)
    gram[np.diag_indices_from(gram)] += np.float32(regularisation)
    # gram is symmetric: its transpose is the same matrix in Fortran order, which LAPACK
    # factorises and inverts in place
    factor, info = lapack.spotrf(gram.T, lower=False, overwrite_a=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: Cholesky factorisation failed ({info})")
    del gram
    inverse, info = lapack.spotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: inverse failed ({info})")
    del factor
    # potri fills the upper triangle only; the symmetric matrix's transpose is itself, in C order
    weights = symmetric_from_upper(inverse).T
    weights /= -np.diag(weights).copy()
    weights[np.diag_indices_from(weights)] = 0.0
    return ProductWeights("ease", weights, popularity, columns)


def symmetric_from_upper(matrix: np.ndarray, block: int = 512) -> np.ndarray:
    """The square matrix made symmetric from its upper triangle, in place, block by block
    (np.triu over the whole matrix builds an n x n mask: 40 times slower at 3,600 products)."""
    size = matrix.shape[0]
    for start in range(0, size, block):
        stop = min(start + block, size)
        matrix[start:stop, :start] = matrix[:start, start:stop].T
        diagonal = matrix[start:stop, start:stop]
        diagonal[...] = np.triu(diagonal) + np.triu(diagonal, 1).T
    return matrix


# Candidate products whose co-purchases are counted at a time (item_item, product pairs):
# memory is bounded by this many rows of the co-purchase matrix, never products x products.
BLOCK_PRODUCTS = 1_000


def co_purchase_blocks(bought: sp.csr_matrix, scale: np.ndarray | None = None
                       ) -> Iterator[tuple[int, sp.csr_matrix]]:
    """(first product, rows) of the product-by-product co-purchase matrix (customers who bought
    both; with `scale`, each product's column divided by it first), BLOCK_PRODUCTS rows at a
    time (each row's columns in no particular order)."""
    by_customer = bought.astype(np.float32)
    if scale is not None:
        by_customer = (by_customer @ sp.diags(1.0 / scale)).tocsr()
    by_product = by_customer.T.tocsr()
    for start in range(0, by_product.shape[0], BLOCK_PRODUCTS):
        yield start, (by_product[start:start + BLOCK_PRODUCTS] @ by_customer).tocsr()


def largest(data: np.ndarray, index: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The `count` largest values and their indices (ties: the lower index, as a stable sort
    by value would keep), best first; linear time where a sort would be n log n."""
    if data.size > count:
        kth = np.partition(data, data.size - count)[data.size - count]
        above = np.flatnonzero(data > kth)
        ties = np.flatnonzero(data == kth)
        ties = ties[np.argsort(index[ties], kind="stable")[:count - above.size]]
        chosen = np.concatenate([above, ties])
        data, index = data[chosen], index[chosen]
    order = np.lexsort((index, -data))
    return data[order], index[order]


def fit_item_item(bought: sp.csr_matrix, neighbours: int, popularity: np.ndarray,
                  columns: np.ndarray | None = None) -> ProductWeights:
    """Cosine similarity of candidate products' buyers; for each candidate j, its `neighbours`
    most similar candidates i keep weight[i, j] = similarity (ties: lower column first).
    Co-purchases are counted for BLOCK_PRODUCTS products at a time, and only each product's
    top `neighbours` are kept, so memory grows with the catalogue, not its square."""
    inputs = (bought if columns is None else bought[:, columns]).tocsr()
    size = inputs.shape[1]
    norm = np.sqrt(np.asarray(inputs.sum(axis=0)).ravel()).astype(np.float32)
    norm[norm == 0] = 1.0
    rows, targets, values = [], [], []
    for start, similarity in co_purchase_blocks(inputs, norm):
        for offset in range(similarity.shape[0]):  # products similar to product j
            j = start + offset
            begin, end = similarity.indptr[offset], similarity.indptr[offset + 1]
            data, index = similarity.data[begin:end], similarity.indices[begin:end]
            other = index != j
            if not other.any():
                continue
            data, index = largest(data[other], index[other], neighbours)
            rows.append(index)
            targets.append(np.full(index.size, j))
            values.append(data)
    if not rows:
        return ProductWeights("item_item", sp.csr_matrix((size, size), dtype=np.float32),
                              popularity, columns)
    weights = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(targets))),
        shape=(size, size), dtype=np.float32)
    return ProductWeights("item_item", weights, popularity, columns)


def fit_popularity(popularity: np.ndarray) -> ProductWeights:
    """Everyone gets the products with the most recent buyers."""
    return ProductWeights("popularity", None, popularity)
