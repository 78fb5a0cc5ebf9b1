"""Single-particle hopping matrices ``h`` with ``H = sum_ij h_ij c_i^dag c_j``."""

from __future__ import annotations

import numpy as np

from opentangle._convert import check_real
from opentangle.errors import InvalidParameterError

__all__ = ["CirculantPropagator", "chain_hopping", "ladder_hopping"]


def _check_length(L: int, *, periodic: bool) -> int:
    if isinstance(L, bool) or int(L) != L:
        raise InvalidParameterError(f"L must be an integer; got {L!r}")
    L = int(L)
    if (3 if periodic else 2) > L:
        need = 3 if periodic else 2
        raise InvalidParameterError(f"a {'periodic ' if periodic else ''}chain needs L >= {need}; got {L}")
    return L


def chain_hopping(L: int, t: float, *, periodic: bool = True) -> np.ndarray:
    """``h`` of ``H = t sum_j (c_j^dag c_{j+1} + h.c.)`` on ``L`` sites (periodic by default)."""
    L = _check_length(L, periodic=periodic)
    t = check_real(t, "t")
    h = np.zeros((L, L))
    j = np.arange(L if periodic else L - 1)
    h[j, (j + 1) % L] = t
    h[(j + 1) % L, j] = t
    return h


def ladder_hopping(L: int, *, t1: float, t2: float, t12: float) -> np.ndarray:
    """``h`` (``2L x 2L``) of two periodic chains coupled rung by rung.

    ``H = t1 sum_j (c1_j^dag c1_{j+1} + h.c.) + t2 sum_j (c2_j^dag c2_{j+1} + h.c.)
    + t12 sum_j (c1_j^dag c2_j + h.c.)``; modes ``0..L-1`` are chain 1 (the
    system), ``L..2L-1`` chain 2 (the ancilla).
    """
    L = _check_length(L, periodic=True)
    t12 = check_real(t12, "t12")
    h = np.zeros((2 * L, 2 * L))
    h[:L, :L] = chain_hopping(L, t1)
    h[L:, L:] = chain_hopping(L, t2)
    j = np.arange(L)
    h[j, L + j] = t12
    h[L + j, j] = t12
    return h


class CirculantPropagator:
    """``exp(-i h dt)`` applied by FFT for a translation-invariant ``h`` (periodic chains).

    Modes are ordered chain-major, ``index = a * L + j`` for chain ``a`` and site
    ``j``; ``h`` must be block circulant (every chain-chain block depends only
    on ``l - j mod L``).  ``method="auto"`` multiplies by the dense matrix
    below :attr:`DENSE_BELOW` modes and uses the FFT above, which costs
    ``O(b^2 L N + b N L log L)`` for ``N`` orbitals instead of ``O(b^2 L^2 N)``.

    Example
    -------
    >>> import numpy as np
    >>> h = ladder_hopping(6, t1=1.0, t2=2.0, t12=0.5)
    >>> U = CirculantPropagator(h, n_chains=2, dt=0.5)
    >>> phi = np.eye(12)[:, :6]
    >>> bool(np.allclose(U.apply(phi), U.dense() @ phi))
    True
    """

    #: below this many modes a dense product beats the FFT (measured in benchmarks/bench_fermions.py)
    DENSE_BELOW = 160

    def __init__(self, hamiltonian: np.ndarray, *, n_chains: int, dt: float, method: str = "auto") -> None:
        if method not in ("auto", "fft", "dense"):
            raise InvalidParameterError(f"method must be 'auto', 'fft' or 'dense'; got {method!r}")
        h = np.asarray(hamiltonian)
        m = h.shape[0]
        if h.ndim != 2 or h.shape != (m, m) or n_chains < 1 or m % n_chains:
            raise InvalidParameterError(f"hamiltonian of shape {h.shape} cannot hold {n_chains} chains of equal length")
        b, L = int(n_chains), m // int(n_chains)
        blocks = h.reshape(b, L, b, L)
        first = blocks[:, 0, :, :]  # c_ab(r) = h[a*L, b*L + r]
        j = np.arange(L)
        shifted = blocks[:, j[:, None], :, (j[:, None] + j[None, :]) % L]  # (L, L, b, b) -> rows j, shifts r
        if not np.allclose(np.moveaxis(shifted, (0, 1), (1, 3)), first[:, None, :, :], atol=1e-12):
            raise InvalidParameterError("hamiltonian is not translation invariant (block circulant); use propagator()")
        hq = L * np.fft.ifft(first, axis=-1)  # (b, b, L): hq[a, b, k]
        hq = np.moveaxis(hq, -1, 0)  # (L, b, b)
        if not np.allclose(hq, np.conj(np.swapaxes(hq, 1, 2)), atol=1e-10):
            raise InvalidParameterError("hamiltonian must be Hermitian")
        w, v = np.linalg.eigh(hq)
        self._w, self._v = w, v
        self.n_chains, self.L = b, L
        self.shape = (m, m)
        self.method = ("dense" if m < self.DENSE_BELOW else "fft") if method == "auto" else method
        self._set_dt(float(dt))

    def _set_dt(self, dt: float) -> None:
        self.dt = dt
        self._uq = np.einsum("kab,kb,kcb->kac", self._v, np.exp(-1j * self._w * dt), self._v.conj())
        self._dense = self._fft_apply(np.eye(self.shape[0], dtype=complex)) if self.method == "dense" else None

    def squared(self) -> CirculantPropagator:
        """The propagator over ``2 dt``."""
        new = CirculantPropagator.__new__(CirculantPropagator)
        new.__dict__.update(self.__dict__)
        new._set_dt(2 * self.dt)
        return new

    def apply(self, phi: np.ndarray) -> np.ndarray:
        """``U @ phi`` for an ``M x N`` matrix ``phi``."""
        if self._dense is not None:
            return self._dense @ phi
        return self._fft_apply(phi)

    def _fft_apply(self, phi: np.ndarray) -> np.ndarray:
        b, L = self.n_chains, self.L
        x = np.fft.fft(phi.reshape(b, L, -1), axis=1)
        y = np.einsum("kab,bkn->akn", self._uq, x)
        return np.ascontiguousarray(np.fft.ifft(y, axis=1).reshape(b * L, -1))

    def dense(self) -> np.ndarray:
        """The full ``M x M`` unitary, built through the FFT path (for checks)."""
        return self._fft_apply(np.eye(self.shape[0], dtype=complex))

    def __repr__(self) -> str:
        return f"CirculantPropagator(n_chains={self.n_chains}, L={self.L}, dt={self.dt}, method={self.method!r})"
