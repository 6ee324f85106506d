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

from dataclasses import dataclass

import numpy as np
import scipy.linalg.lapack as lapack
import scipy.sparse as sp

from reportgen.models.recommend.methods import FittedMethod


@dataclass(frozen=True)
class ProductWeights:
    """A fitted method: weight[i, j] is what having bought product i adds to product j's score
    (None for popularity); `popularity` scores products for everyone and breaks ties."""

    method: FittedMethod
    weights: np.ndarray | sp.csr_matrix | None
    popularity: np.ndarray

    def scores(self, bought: sp.csr_matrix) -> np.ndarray:
        """Each row's score for every product (rows of a purchase matrix)."""
        if self.weights is None:
            return np.tile(self.popularity.astype(np.float32), (bought.shape[0], 1))
        product = bought @ self.weights
        return np.asarray(product.toarray() if sp.issparse(product) else product,
                          dtype=np.float32)

    def contributions(self, bought_products: np.ndarray, suggested: np.ndarray) -> np.ndarray:
        """weight[i, j] for each pair (bought_products[k], suggested[k])."""
        if self.weights is None:
            return np.zeros(bought_products.size, dtype=np.float32)
        if sp.issparse(self.weights):
            return np.asarray(self.weights[bought_products, suggested], dtype=np.float32).ravel()
        return np.asarray(self.weights[bought_products, suggested], dtype=np.float32)


def fit_ease(bought: sp.csr_matrix, regularisation: float, popularity: np.ndarray
             ) -> ProductWeights:
    """EASE weights in float32, by a Cholesky inverse of the regularised Gram matrix."""
    gram = (bought.T @ bought).toarray().astype(np.float32, copy=False)
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
    weights = np.triu(inverse)  # potri fills the upper triangle only
    del inverse
    weights += np.triu(weights, 1).T
    weights /= -np.diag(weights).copy()
    weights[np.diag_indices_from(weights)] = 0.0
    return ProductWeights("ease", weights, popularity)


def fit_item_item(bought: sp.csr_matrix, neighbours: int, popularity: np.ndarray
                  ) -> ProductWeights:
    """Cosine similarity of products' buyers; for each product j, its `neighbours` most
    similar products i keep weight[i, j] = similarity (ties: lower column first)."""
    co_bought = (bought.T @ bought).tocsr().astype(np.float32)
    co_bought.setdiag(0.0)
    co_bought.eliminate_zeros()
    norm = np.sqrt(np.asarray(bought.sum(axis=0)).ravel()).astype(np.float32)
    norm[norm == 0] = 1.0
    scale = sp.diags(1.0 / norm)
    similarity = (scale @ co_bought @ scale).tocsr()
    similarity.sort_indices()
    rows, columns, values = [], [], []
    for j in range(similarity.shape[0]):  # row j of a symmetric matrix: products similar to j
        start, end = similarity.indptr[j], similarity.indptr[j + 1]
        if start == end:
            continue
        data, index = similarity.data[start:end], similarity.indices[start:end]
        keep = np.argsort(-data, kind="stable")[:neighbours]
        rows.append(index[keep])
        columns.append(np.full(keep.size, j))
        values.append(data[keep])
    size = similarity.shape[0]
    if not rows:
        return ProductWeights("item_item", sp.csr_matrix((size, size), dtype=np.float32),
                              popularity)
    weights = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(size, size), dtype=np.float32)
    return ProductWeights("item_item", weights, popularity)


def fit_popularity(popularity: np.ndarray) -> ProductWeights:
    """Everyone gets the products with the most recent buyers."""
    return ProductWeights("popularity", None, popularity)
