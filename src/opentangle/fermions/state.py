"""Pure number-conserving Gaussian states (Slater determinants) stored as orbitals.

A state of ``N`` fermions in ``M`` modes is
``|psi> = prod_a (sum_j Phi_ja c_j^dag) |0>`` with an ``M x N`` isometry ``Phi``;
its correlation matrix is ``D_ij = <c_i^dag c_j> = (conj(Phi) Phi^T)_ij``.
Evolving the orbitals costs ``O(M^2 N)`` per step instead of ``O(M^3)`` for
``D -> U^* D U^T``, and a projective occupation measurement is an exact
rank-1 update of ``Phi`` that keeps it an isometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_operator
from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.fermions.correlations import binary_entropy, check_modes, validate_correlation

try:  # in-place rank-1 update; numpy fallback below
    from scipy.linalg.blas import zgeru as _zgeru
except ImportError:  # pragma: no cover
    _zgeru = None

__all__ = ["GaussianState", "propagator"]


def propagator(hamiltonian: Any, dt: float) -> np.ndarray:
    """Single-particle propagator ``exp(-i h dt)`` of a Hermitian ``h`` (``H = sum_ij h_ij c_i^dag c_j``)."""
    h, _ = as_operator(hamiltonian, name="single-particle hamiltonian")
    if not np.allclose(h, h.conj().T, atol=1e-10, rtol=0):
        raise InvalidParameterError("single-particle hamiltonian must be Hermitian; use (h + h^H)/2")
    if not np.isfinite(dt):
        raise InvalidParameterError(f"dt must be finite; got {dt}")
    w, v = np.linalg.eigh(0.5 * (h + h.conj().T))
    return (v * np.exp(-1j * w * float(dt))) @ v.conj().T


class GaussianState:
    """Pure number-conserving fermionic Gaussian state, evolved and measured in place.

    Parameters
    ----------
    orbitals
        ``M x N`` matrix whose orthonormal columns are the occupied orbitals.

    Example
    -------
    >>> s = GaussianState.from_occupations([1, 0, 1, 0])
    >>> s.n_modes, s.n_particles, round(s.particle_number(), 12)
    (4, 2, 2.0)
    """

    def __init__(self, orbitals: Any, *, atol: float = 1e-8) -> None:
        phi = np.array(orbitals, dtype=complex, order="C")
        if phi.ndim != 2 or phi.shape[1] > phi.shape[0]:
            raise DimensionError(f"orbitals must be an M x N matrix with N <= M; got shape {phi.shape}")
        if not np.all(np.isfinite(phi)):
            raise InvalidStateError("orbitals contain NaN or infinite entries")
        err = _drift(phi)
        if err > atol:
            raise InvalidStateError(
                f"orbital columns must be orthonormal (max |Phi^H Phi - 1| = {err:.3g}); "
                "orthonormalise them with numpy.linalg.qr"
            )
        self._phi = phi
        self.max_drift = 0.0  # largest drift seen by repurify()
        self.n_repurified = 0

    # construction -------------------------------------------------------------------
    @classmethod
    def from_occupations(cls, occupations: Sequence[int]) -> GaussianState:
        """Fock product state with ``occupations[j]`` in {0, 1} fermions on mode ``j``."""
        occ = np.asarray(occupations)
        if occ.ndim != 1 or occ.size == 0 or not np.all((occ == 0) | (occ == 1)):
            raise InvalidStateError(f"occupations must be a 1-D list of 0/1; got {np.asarray(occupations).tolist()}")
        eye = np.eye(occ.size, dtype=complex)
        return cls(eye[:, np.flatnonzero(occ)])

    @classmethod
    def from_correlation(cls, corr: Any, *, atol: float = 1e-8) -> GaussianState:
        """Pure state with correlation matrix ``corr``; :class:`InvalidStateError` if it is not a projector."""
        d = validate_correlation(corr, atol=atol)
        w, v = np.linalg.eigh(0.5 * (d + d.conj().T))
        if np.any(np.minimum(np.abs(w), np.abs(w - 1)) > atol):
            raise InvalidStateError(
                "correlation matrix is not idempotent (D^2 != D), so the state is mixed; "
                "GaussianState holds pure states only"
            )
        # D = conj(Phi) Phi^T, so the orbitals are the conjugated eigenvectors with eigenvalue 1
        return cls(np.conj(v[:, w > 0.5]))

    def copy(self) -> GaussianState:
        new = GaussianState.__new__(GaussianState)
        new._phi = self._phi.copy()
        new.max_drift = self.max_drift
        new.n_repurified = self.n_repurified
        return new

    # properties -------------------------------------------------------------------------
    @property
    def orbitals(self) -> np.ndarray:
        """The ``M x N`` orbital matrix (a read-only view)."""
        v = self._phi.view()
        v.flags.writeable = False
        return v

    @property
    def n_modes(self) -> int:
        return self._phi.shape[0]

    @property
    def n_particles(self) -> int:
        return self._phi.shape[1]

    def correlation_matrix(self, modes: Sequence[int] | None = None) -> np.ndarray:
        """``D_ij = <c_i^dag c_j>`` restricted to ``modes`` (all modes by default)."""
        phi = self._phi if modes is None else self._phi[check_modes(modes, self.n_modes)]
        return phi.conj() @ phi.T

    def occupations(self) -> np.ndarray:
        """``<n_j>`` for every mode."""
        return np.einsum("ja,ja->j", self._phi.conj(), self._phi).real

    def particle_number(self, modes: Sequence[int] | None = None) -> float:
        """Expected number of fermions in ``modes`` (all modes by default)."""
        occ = self.occupations()
        return float(occ.sum() if modes is None else occ[check_modes(modes, self.n_modes)].sum())

    def spectrum(self, modes: Sequence[int] | np.ndarray) -> np.ndarray:
        """Eigenvalues of the restricted correlation matrix ``D_A`` (clipped to [0, 1])."""
        return self._spectrum(check_modes(modes, self.n_modes))

    def _spectrum(self, idx: np.ndarray | slice) -> np.ndarray:
        a = self._phi[idx]
        if a.shape[0] > a.shape[1]:  # same non-zero spectrum, smaller matrix
            a = a.T
        return np.clip(np.linalg.eigvalsh(a @ a.conj().T), 0.0, 1.0)

    def entropy(self, modes: Sequence[int] | np.ndarray) -> float:
        """Entanglement entropy (bits) between ``modes`` and the other modes."""
        return float(np.sum(binary_entropy(self.spectrum(modes))))

    def mutual_information(self, part_a: Sequence[int], part_b: Sequence[int]) -> float:
        """``S_A + S_B - S_AB`` (bits) for disjoint mode sets A and B."""
        a = check_modes(part_a, self.n_modes, name="part_a")
        b = check_modes(part_b, self.n_modes, name="part_b")
        if np.intersect1d(a, b).size:
            raise DimensionError("part_a and part_b must be disjoint sets of modes")
        return self.entropy(a) + self.entropy(b) - self.entropy(np.concatenate([a, b]))

    def drift(self) -> float:
        """``max |Phi^H Phi - 1|``: distance from a pure state (0 up to rounding for exact isometries)."""
        return _drift(self._phi)

    # dynamics -----------------------------------------------------------------------------
    def evolve(self, unitary: Any) -> GaussianState:
        """Apply the single-particle unitary ``U`` (e.g. :func:`propagator`): ``Phi -> U Phi``.

        In terms of the correlation matrix, ``D -> conj(U) D U^T`` (``U^H D U`` for real ``h``).
        ``unitary`` is a matrix or an object with ``apply(phi)`` and ``shape``
        (such as :class:`~opentangle.fermions.CirculantPropagator`).
        """
        if tuple(unitary.shape) != (self.n_modes, self.n_modes):
            raise DimensionError(f"unitary must be {self.n_modes} x {self.n_modes}; got {unitary.shape}")
        self._phi = unitary.apply(self._phi) if hasattr(unitary, "apply") else unitary @ self._phi
        return self

    def measure(self, site: int, *, rng: np.random.Generator | None = None, u: float | None = None) -> int:
        """Projectively measure ``n_site``; returns the outcome (0 or 1) and collapses the state.

        The outcome is 1 when ``u < <n_site>`` (Born rule), with ``u`` uniform in
        [0, 1) drawn from ``rng`` unless given.  The update is exact and rank-1:
        with ``v = Phi[site]``, an occupied outcome maps
        ``Phi -> Phi - (Phi v^H) v / |v|^2`` and puts ``v/|v|`` back on row ``site``;
        an empty outcome zeroes row ``site`` and renormalises the orbital
        ``Phi v^H`` by ``1/sqrt(1 - |v|^2)``.  ``Phi`` stays an isometry, which is
        the orbital form of ``D -> D - D[:,k]D[k,:]/D_kk + e_k e_k^T`` (occupied)
        and ``D -> D + (1-D)[:,k](1-D)[k,:]/(1-D_kk) - e_k e_k^T`` (empty).
        """
        if not 0 <= site < self.n_modes:
            raise DimensionError(f"site must be in [0, {self.n_modes - 1}]; got {site}")
        if u is None:
            if rng is None:
                raise InvalidParameterError("measure needs rng= (numpy Generator) or u= (a uniform number)")
            u = rng.random()
        return self._measure(int(site), float(u))

    def _measure(self, k: int, u: float) -> int:
        phi = self._phi
        v = phi[k].copy()
        nv = float(np.vdot(v, v).real)
        if u < nv:
            a = phi @ v.conj()
            _rank1(phi, -1.0 / nv, a, v)
            phi[k] = v / np.sqrt(nv)
            return 1
        nv = min(nv, 1.0)
        if nv == 0.0:
            return 0
        phi[k] = 0.0
        s = np.sqrt(1.0 - nv)
        if s == 0.0:  # pragma: no cover - probability zero
            raise InvalidStateError("empty outcome on a mode that is surely occupied; the state has drifted")
        a = phi @ v.conj()
        _rank1(phi, 1.0 / (s * (1.0 + s)), a, v)
        return 0

    def repurify(self, *, tol: float = 1e-10) -> float:
        """Re-orthonormalise the orbitals (QR) when they drifted by more than ``tol``; return the drift."""
        err = self.drift()
        self.max_drift = max(self.max_drift, err)
        if err > tol:
            q, _ = np.linalg.qr(self._phi)
            self._phi = np.ascontiguousarray(q)
            self.n_repurified += 1
        return err

    def __repr__(self) -> str:
        return (
            f"GaussianState(n_modes={self.n_modes}, n_particles={self.n_particles}, "
            f"drift={self.drift():.2e}, n_repurified={self.n_repurified})"
        )


def _drift(phi: np.ndarray) -> float:
    g = phi.conj().T @ phi
    g[np.diag_indices_from(g)] -= 1.0
    return float(np.max(np.abs(g))) if g.size else 0.0


def _rank1(phi: np.ndarray, alpha: float, a: np.ndarray, v: np.ndarray) -> None:
    """``phi += alpha * outer(a, v)`` in place (``phi`` C-contiguous)."""
    if _zgeru is not None and phi.flags.c_contiguous:
        # phi.T is Fortran-ordered, so BLAS updates the same memory: phi.T += alpha v a^T
        out = _zgeru(alpha, v, a, a=phi.T, overwrite_a=1)
        if np.shares_memory(out, phi):
            return
        phi[...] = out.T  # pragma: no cover - BLAS made a copy
        return
    phi += alpha * np.outer(a, v)  # pragma: no cover
