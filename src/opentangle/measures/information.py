r"""Distances, entropies, Schmidt decomposition and entangling power.

Conventions (entropies in bits unless ``base=`` is given):

.. math::
    F(\rho,\sigma) = \Big(\mathrm{tr}\sqrt{\sqrt\rho\,\sigma\sqrt\rho}\Big)^2,\quad
    T = \tfrac12\lVert\rho-\sigma\rVert_1,\quad
    D_B = \sqrt{2\,(1-\sqrt F)},\quad
    S(\rho\Vert\sigma) = \mathrm{tr}\,\rho(\log\rho - \log\sigma),

    S_\alpha = \frac{\log\mathrm{tr}\rho^\alpha}{1-\alpha},\quad
    S_q^{\rm Tsallis} = \frac{1-\mathrm{tr}\rho^q}{q-1},\quad
    S_L = 1 - \mathrm{tr}\rho^2,\quad
    S(A|B) = S(AB) - S(B),\quad I(A\rangle B) = S(B) - S(AB).

``fidelity`` is the squared (Jozsa) convention, so that :math:`F(|\psi\rangle\langle\psi|,\rho)
= \langle\psi|\rho|\psi\rangle` as in :func:`bell_fidelity`; ``root=True`` gives QuTiP's and
toqito's :math:`\sqrt F`.  References: R. Jozsa, J. Mod. Opt. 41, 2315 (1994);
Nielsen & Chuang, chs. 9 and 11; C. Tsallis, J. Stat. Phys. 52, 479 (1988);
P. Zanardi, C. Zalka, L. Faoro, PRA 62, 030301 (2000) (entangling power).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import as_array, as_operator, check_real, resolve_dims
from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.measures._common import hermitian_eigvals, prepare_state, resolve_part_a
from opentangle.measures.entropy import _check_base, shannon_entropy
from opentangle.operators import partial_trace

__all__ = [
    "SchmidtDecomposition",
    "bures_distance",
    "coherent_information",
    "conditional_entropy",
    "entangling_power",
    "fidelity",
    "linear_entropy",
    "purity",
    "relative_entropy",
    "renyi_entropy",
    "schmidt_decomposition",
    "schmidt_rank",
    "trace_distance",
    "tsallis_entropy",
]


def _pair(rho: Any, sigma: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _state(rho, "rho"), _state(sigma, "sigma")
    if a.shape != b.shape:
        raise DimensionError(f"rho and sigma must have the same shape; got {a.shape} and {b.shape}")
    return a, b


def _state(x: Any, name: str) -> np.ndarray:
    arr, _ = as_array(x, name=name)
    if arr.ndim == 1:
        from opentangle.states import ket2dm

        nrm = np.linalg.norm(arr)
        if not np.isfinite(nrm) or abs(nrm - 1) > 1e-8:
            raise InvalidStateError(f"{name} ket must be normalised; its norm is {nrm:.12g}")
        arr = ket2dm(arr)
    arr, _ = prepare_state(arr, [arr.shape[-1]] if arr.ndim >= 2 else None, name=name)
    return arr


def fidelity(rho: Any, sigma: Any, *, root: bool = False) -> float:
    r"""Uhlmann fidelity :math:`(\mathrm{tr}|\sqrt\rho\sqrt\sigma|)^2` (``root=True``: without the square).

    Kets are accepted.  Computed on the support of ``rho``, from the eigenvalues of
    :math:`\sqrt\rho\,\sigma\sqrt\rho` there.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(fidelity(bell_state("phi+"), np.eye(4) / 4), 12)
    0.25
    """
    a, b = _pair(rho, sigma)
    p, v = np.linalg.eigh(a)
    keep = p > 1e-15 * max(1.0, p[-1])  # the support of rho: sqrt amplifies round-off near zero
    r = np.sqrt(p[keep])[:, None] * (v[:, keep].conj().T @ b @ v[:, keep]) * np.sqrt(p[keep])[None, :]
    s = np.sqrt(np.clip(np.linalg.eigvalsh((r + r.conj().T) / 2), 0, None)).sum()
    f = float(min(s, 1.0))
    return f if root else f * f


def trace_distance(rho: Any, sigma: Any) -> float:
    r""":math:`\tfrac12\lVert\rho-\sigma\rVert_1` (0 for equal states, 1 for orthogonal ones).

    Example
    -------
    >>> round(trace_distance(np.diag([1.0, 0]), np.diag([0, 1.0])), 12)
    1.0
    """
    a, b = _pair(rho, sigma)
    return float(np.abs(hermitian_eigvals(a - b)).sum() / 2)


def bures_distance(rho: Any, sigma: Any) -> float:
    r"""Bures distance :math:`\sqrt{2(1-\sqrt{F})}` (QuTiP's ``bures_dist``).

    Example
    -------
    >>> round(bures_distance(np.diag([1.0, 0]), np.diag([0, 1.0])) ** 2, 12)
    2.0
    """
    return float(math.sqrt(max(0.0, 2 * (1 - fidelity(rho, sigma, root=True)))))


def purity(rho: Any) -> float:
    r""":math:`\mathrm{tr}\rho^2` (``1/D <= purity <= 1``).

    Example
    -------
    >>> purity(np.eye(4) / 4)
    0.25
    """
    a = _state(rho, "rho")
    return float(np.sum(hermitian_eigvals(a) ** 2))


def relative_entropy(rho: Any, sigma: Any, *, base: float = 2) -> float:
    r""":math:`S(\rho\Vert\sigma) = \mathrm{tr}\rho(\log\rho-\log\sigma)`; ``inf`` when :math:`\mathrm{supp}\,\rho\not\subseteq\mathrm{supp}\,\sigma`.

    Example
    -------
    >>> round(relative_entropy(np.diag([1.0, 0]), np.eye(2) / 2), 12)
    1.0
    """
    b_ = _check_base(base)
    a, b = _pair(rho, sigma)
    pa, va = np.linalg.eigh(a)
    pb, vb = np.linalg.eigh(b)
    pa, pb = np.clip(pa, 0, None), np.clip(pb, 0, None)
    overlap = np.abs(va.conj().T @ vb) ** 2  # |<a_i|b_j>|^2
    cut = 1e-12
    with np.errstate(divide="ignore"):
        la = np.where(pa > cut, np.log(np.where(pa > cut, pa, 1)), 0.0)
        lb = np.where(pb > cut, np.log(np.where(pb > cut, pb, 1)), -np.inf)
    support = (pa[:, None] > cut) & (overlap > 1e-10)
    if np.any(support & ~np.isfinite(lb)[None, :]):
        return math.inf
    cross = np.sum(np.where(support, pa[:, None] * overlap * np.where(np.isfinite(lb), lb, 0.0)[None, :], 0.0))
    return float(max(0.0, (np.sum(pa * la) - cross) / math.log(b_)))


def renyi_entropy(rho: Any, alpha: float, *, base: float = 2) -> float:
    r"""Rényi entropy :math:`\log\mathrm{tr}\rho^\alpha/(1-\alpha)`, ``alpha >= 0``; ``alpha = 1`` is
    von Neumann, ``alpha = inf`` the min-entropy :math:`-\log\lambda_{\max}`, ``alpha = 0`` :math:`\log\mathrm{rank}`.

    Example
    -------
    >>> round(renyi_entropy(np.eye(4) / 4, 2), 12)
    2.0
    """
    b = _check_base(base)
    a = math.inf if (isinstance(alpha, (int, float)) and alpha == math.inf) else check_real(alpha, "alpha")
    if a < 0:
        raise InvalidParameterError(f"alpha must be >= 0; got {alpha}")
    p = np.clip(hermitian_eigvals(_state(rho, "rho")), 0, None)
    p = p[p > 1e-14]
    if a == 1:
        return float(shannon_entropy(p / p.sum(), base=b))
    if a == math.inf:
        return float(-math.log(p.max()) / math.log(b))
    if a == 0:
        return float(math.log(len(p)) / math.log(b))
    return float(max(0.0, math.log(np.sum(p**a)) / (1 - a) / math.log(b)))


def tsallis_entropy(rho: Any, q: float) -> float:
    r"""Tsallis entropy :math:`(1-\mathrm{tr}\rho^q)/(q-1)`, ``q > 0``; ``q = 1`` is von Neumann in nats.

    Example
    -------
    >>> tsallis_entropy(np.eye(2) / 2, 2)
    0.5
    """
    q = check_real(q, "q")
    if q <= 0:
        raise InvalidParameterError(f"q must be > 0; got {q}")
    p = np.clip(hermitian_eigvals(_state(rho, "rho")), 0, None)
    if q == 1:
        return float(shannon_entropy(p, base=math.e))
    return float((1 - np.sum(p[p > 0] ** q)) / (q - 1))


def linear_entropy(rho: Any) -> float:
    r""":math:`1 - \mathrm{tr}\rho^2` (QuTiP's ``entropy_linear``).

    Example
    -------
    >>> linear_entropy(np.eye(2) / 2)
    0.5
    """
    return 1.0 - purity(rho)


def _sides(rho, dims, part_a):
    arr, dims = prepare_state(rho, dims)
    if arr.ndim != 2:
        raise DimensionError(f"rho must be one density matrix; got shape {arr.shape}")
    part = resolve_part_a(part_a, len(dims))
    rest = [i for i in range(len(dims)) if i not in part]
    return arr, partial_trace(arr, rest, dims)


def conditional_entropy(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, base: float = 2
) -> float:
    r"""Conditional entropy :math:`S(A|B) = S(AB) - S(B)` (negative only for entangled states).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(conditional_entropy(bell_state("phi+")), 12)
    -1.0
    """
    b = _check_base(base)
    arr, rb = _sides(rho, dims, part_a)
    s = lambda m: float(shannon_entropy(hermitian_eigvals(m), base=b))  # noqa: E731
    return s(arr) - s(rb)


def coherent_information(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, base: float = 2
) -> float:
    r"""Coherent information :math:`I(A\rangle B) = S(B) - S(AB) = -S(A|B)`.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(coherent_information(bell_state("phi+")), 12)
    1.0
    """
    return -conditional_entropy(rho, dims, part_a=part_a, base=base)


@dataclass(frozen=True, repr=False)
class SchmidtDecomposition:
    r""":math:`|\psi\rangle = \sum_k s_k |a_k\rangle|b_k\rangle`: ``coefficients`` ``s`` (descending),
    ``basis_a[:, k]``, ``basis_b[:, k]``."""

    coefficients: np.ndarray
    basis_a: np.ndarray
    basis_b: np.ndarray

    @property
    def rank(self) -> int:
        return len(self.coefficients)

    def state(self) -> np.ndarray:
        """The ket rebuilt from the decomposition (A then B)."""
        return np.einsum("k,ik,jk->ij", self.coefficients, self.basis_a, self.basis_b).reshape(-1)

    def __repr__(self) -> str:
        return f"SchmidtDecomposition(rank={self.rank}, coefficients={np.round(self.coefficients, 6).tolist()})"


def schmidt_decomposition(
    psi: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, atol: float = 1e-12
) -> SchmidtDecomposition:
    r"""Schmidt decomposition of a pure bipartite ket (SVD of its ``d_A x d_B`` coefficient matrix).

    Coefficients below ``atol`` are dropped; for more than two subsystems ``part_a`` groups A.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> schmidt_decomposition(bell_state("phi+", ket=True)).coefficients.round(6).tolist()
    [0.707107, 0.707107]
    """
    arr, qd = as_array(psi, name="psi")
    vec = arr.reshape(-1).astype(complex) if (arr.ndim == 1 or (arr.ndim == 2 and 1 in arr.shape)) else None
    if vec is None:
        raise DimensionError(f"schmidt_decomposition takes a ket (D,); got shape {arr.shape}")
    nrm = np.linalg.norm(vec)
    if not np.isfinite(nrm) or abs(nrm - 1) > 1e-8:
        raise InvalidStateError(f"psi must be a normalised ket; its norm is {nrm:.12g}")
    dims = resolve_dims(vec.shape[0], dims, qobj_dims=qd)
    part = resolve_part_a(part_a, len(dims))
    rest = [i for i in range(len(dims)) if i not in part]
    da = math.prod(dims[i] for i in part)
    mat = vec.reshape(dims).transpose(part + rest).reshape(da, -1)
    u, s, vh = np.linalg.svd(mat, full_matrices=False)
    keep = s > check_real(atol, "atol")
    return SchmidtDecomposition(s[keep], u[:, keep], vh[keep].T)


def schmidt_rank(
    psi: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, atol: float = 1e-12
) -> int:
    """Number of Schmidt coefficients above ``atol`` (1 exactly for product kets).

    Example
    -------
    >>> schmidt_rank(np.array([1, 0, 0, 0]))
    1
    """
    return schmidt_decomposition(psi, dims, part_a=part_a, atol=atol).rank


def _operator_entanglement(u: np.ndarray, d: int) -> float:
    """Linear entropy of the normalised operator-Schmidt coefficients of ``U`` on ``d x d``."""
    r = u.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)
    lam = np.linalg.svd(r, compute_uv=False) ** 2 / d**2
    return float(1 - np.sum(lam**2))


def entangling_power(u: Any, dims: Sequence[int] | None = None) -> float:
    r"""Entangling power of a unitary on :math:`\mathbb C^d\otimes\mathbb C^d` (Zanardi, Zalka, Faoro 2000).

    .. math:: e_p(U) = \overline{S_L(\mathrm{tr}_B\,U|\psi_A\psi_B\rangle\langle\psi_A\psi_B|U^\dagger)}
             = \Big(\frac{d}{d+1}\Big)^2\big[E(U) + E(US) - E(S)\big],

    the Haar average over product inputs of the linear entropy, with :math:`E` the
    operator entanglement (linear entropy of the operator-Schmidt weights) and ``S`` the swap.
    :math:`0 \le e_p \le 2/9` for qubits (CNOT: 2/9).

    Example
    -------
    >>> cnot = np.eye(4)[[0, 1, 3, 2]]
    >>> round(entangling_power(cnot), 12) == round(2 / 9, 12)
    True
    """
    m, qd = as_operator(u, name="U")
    if not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-10):
        raise InvalidParameterError("U is not unitary (U^dag U != 1)")
    dims = resolve_dims(m.shape[0], dims, qobj_dims=qd)
    if len(dims) != 2 or dims[0] != dims[1]:
        raise DimensionError(f"entangling_power is defined for two equal subsystems; got dims {dims}")
    d = dims[0]
    swap = np.eye(d * d).reshape(d, d, d, d).transpose(1, 0, 2, 3).reshape(d * d, d * d)
    e = _operator_entanglement(m, d) + _operator_entanglement(m @ swap, d) - _operator_entanglement(swap, d)
    return float(max(0.0, (d / (d + 1)) ** 2 * e))
