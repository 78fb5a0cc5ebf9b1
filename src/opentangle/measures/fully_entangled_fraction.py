r"""Fully entangled fraction.

.. math::
    F_{\max}(\rho) = \max_{|\psi\rangle\ \text{max. entangled}} \langle\psi|\rho|\psi\rangle
                   = \max_{U} \langle\Phi^+|(\mathbb 1\otimes U)^\dagger\rho(\mathbb 1\otimes U)|\Phi^+\rangle .

Two qubits: closed form from the correlation matrix
:math:`T_{ij} = \mathrm{tr}\,\rho\,\sigma_i\otimes\sigma_j` with singular values
:math:`s_1\ge s_2\ge s_3` (Grondalski, Etlinger, James, Phys. Lett. A 300, 573 (2002)):
:math:`F_{\max} = (1 + s_1 + s_2 + s_3)/4` if :math:`\det T \le 0`, else
:math:`(1 + s_1 + s_2 - s_3)/4`.

``d x d``: the maximally entangled states are :math:`\mathrm{vec}(W)/\sqrt d` with
``W`` unitary, so :math:`F(W) = \mathrm{vec}(W)^\dagger\rho\,\mathrm{vec}(W)/d`, a convex
quadratic form.  We maximise it by the polar-decomposition ascent
:math:`W \leftarrow \mathrm{polar}(\rho\,\mathrm{vec}(W))`, which never decreases
``F`` (convexity: the linearisation is a lower bound, and the polar factor
maximises it over unitaries).  Several starts are run; the certificate reports
the Riemannian gradient norm at the optimum and how many starts reached it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_int, check_real
from opentangle.errors import ConvergenceError, DimensionError, InvalidParameterError
from opentangle.measures._common import prepare_state
from opentangle.operators import random_unitary

__all__ = ["FullyEntangledFraction", "fully_entangled_fraction", "fully_entangled_fraction_optimum"]

_PAULI = (
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]]),
    np.array([[1, 0], [0, -1]], dtype=complex),
)


@dataclass(frozen=True)
class FullyEntangledFraction:
    """Result of :func:`fully_entangled_fraction_optimum`.

    ``state`` is the optimal maximally entangled ket; ``gradient_norm`` is the
    norm of the Riemannian gradient there (0 at a stationary point);
    ``agreeing_starts`` counts the starts that reached ``value`` within ``tol``.
    """

    value: float
    state: np.ndarray
    method: str
    converged: bool
    gradient_norm: float
    iterations: int
    starts: int
    agreeing_starts: int

    def __repr__(self) -> str:
        return (
            f"FullyEntangledFraction(value={self.value:.12g}, method={self.method!r}, converged={self.converged}, "
            f"gradient_norm={self.gradient_norm:.2e}, agreeing_starts={self.agreeing_starts}/{self.starts})"
        )


def _two_qubit_closed_form(rho: np.ndarray) -> np.ndarray:
    t = np.stack(
        [np.stack([np.einsum("...ij,ji->...", rho, np.kron(a, b)).real for b in _PAULI], -1) for a in _PAULI], -2
    )
    s = np.linalg.svd(t, compute_uv=False)
    det = np.linalg.det(t)
    third = np.where(det <= 0, s[..., 2], -s[..., 2])
    return (1 + s[..., 0] + s[..., 1] + third) / 4


def _polar(m: np.ndarray) -> np.ndarray:
    u, _, vh = np.linalg.svd(m)
    return u @ vh


def _ascent(rho: np.ndarray, w: np.ndarray, d: int, tol: float, maxiter: int) -> tuple[np.ndarray, float, float, int]:
    value = -np.inf
    it = 0
    while it < maxiter:
        it += 1
        grad = (rho @ w.reshape(-1)).reshape(d, d)
        w = _polar(grad)
        new = float(np.real(w.reshape(-1).conj() @ rho @ w.reshape(-1))) / d
        if new - value < tol * 1e-3:
            value = new
            break
        value = new
    grad = (rho @ w.reshape(-1)).reshape(d, d) / d
    m = w.conj().T @ grad
    gnorm = float(np.linalg.norm(m - m.conj().T) / 2)
    return w, value, gnorm, it


def fully_entangled_fraction(
    rho: Any,
    dims: Sequence[int] | None = None,
    *,
    method: str = "auto",
    starts: int = 8,
    seed: int | None = 0,
    tol: float = 1e-10,
    maxiter: int = 5000,
    return_result: bool = False,
) -> Any:
    r"""Fully entangled fraction :math:`F_{\max}` of a ``d x d`` state (a float, or an array for a batch).

    Parameters
    ----------
    method : ``"auto"`` (closed form for two qubits, optimiser otherwise),
        ``"closed_form"`` or ``"optimize"``.
    starts, seed, tol, maxiter : optimiser settings.  Exactly ``starts >= 1``
        starting points are used, in this order: the polar factor of the top
        eigenvector, the identity, then ``starts - 2`` Haar-random unitaries
        drawn from ``seed`` (an integer >= 0, a ``numpy.random.Generator`` or
        None).  ``tol > 0`` and ``maxiter >= 1``.
    return_result : deprecated; use :func:`fully_entangled_fraction_optimum`, which returns the
        :class:`FullyEntangledFraction` (optimum and convergence certificate) of one state.

    Raises :class:`~opentangle.errors.ConvergenceError` when the best value is
    not stationary to ``sqrt(tol)``.  The closed form is batched over leading axes.

    Example
    -------
    >>> from opentangle.states import isotropic_state
    >>> round(fully_entangled_fraction(isotropic_state(0.7, 3)), 8)
    0.7
    """
    if return_result:
        import warnings

        warnings.warn(
            "fully_entangled_fraction(return_result=True) is deprecated; use "
            "fully_entangled_fraction_optimum(rho, ...)",
            DeprecationWarning,
            stacklevel=2,
        )
        return fully_entangled_fraction_optimum(
            rho, dims, method=method, starts=starts, seed=seed, tol=tol, maxiter=maxiter
        )
    return _fef(rho, dims, method=method, starts=starts, seed=seed, tol=tol, maxiter=maxiter, result=False)


def fully_entangled_fraction_optimum(
    rho: Any,
    dims: Sequence[int] | None = None,
    *,
    method: str = "auto",
    starts: int = 8,
    seed: int | None = 0,
    tol: float = 1e-10,
    maxiter: int = 5000,
) -> FullyEntangledFraction:
    r"""The :class:`FullyEntangledFraction` of one ``d x d`` state: value, optimal maximally entangled ket, certificate.

    Same options as :func:`fully_entangled_fraction`; a batch raises :class:`~opentangle.errors.DimensionError`.

    Example
    -------
    >>> from opentangle.states import isotropic_state
    >>> res = fully_entangled_fraction_optimum(isotropic_state(0.7, 3))
    >>> round(res.value, 8), res.converged
    (0.7, True)
    """
    return _fef(rho, dims, method=method, starts=starts, seed=seed, tol=tol, maxiter=maxiter, result=True)


def _fef(rho: Any, dims: Any, *, method: str, starts: int, seed: Any, tol: float, maxiter: int, result: bool) -> Any:
    return_result = result
    if not isinstance(method, str) or method not in ("auto", "closed_form", "optimize"):
        raise InvalidParameterError(f"method must be 'auto', 'closed_form' or 'optimize'; got {method!r}")
    starts = check_int(starts, "starts", minimum=1)
    maxiter = check_int(maxiter, "maxiter", minimum=1)
    tol = check_real(tol, "tol")
    if tol <= 0:
        raise InvalidParameterError(f"tol must be > 0 (for example 1e-10); got {tol}")
    if seed is not None and not isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        seed = check_int(seed, "seed", minimum=0)
    arr, dims = prepare_state(rho, dims)
    if len(dims) != 2 or dims[0] != dims[1]:
        raise DimensionError(f"fully_entangled_fraction needs two subsystems of equal dimension; got dims {dims}")
    d = dims[0]
    if method == "closed_form" and d != 2:
        raise DimensionError("the closed form exists only for two qubits; use method='optimize'")
    if d == 2 and method != "optimize":
        value = _two_qubit_closed_form(arr)
        if not return_result:
            return float(value) if np.ndim(value) == 0 else value
        if np.ndim(value) != 0:
            raise DimensionError("fully_entangled_fraction_optimum takes a single state, not a batch")
        opt = _optimize(arr, d, starts=starts, seed=seed, tol=tol, maxiter=maxiter)
        return FullyEntangledFraction(float(value), opt.state, "closed_form", True, 0.0, 0, 0, 0)
    if arr.ndim != 2:
        if return_result:
            raise DimensionError("fully_entangled_fraction_optimum takes a single state, not a batch")
        values = [
            _optimize(r, d, starts=starts, seed=seed, tol=tol, maxiter=maxiter).value
            for r in arr.reshape(-1, d * d, d * d)
        ]
        return np.array(values).reshape(arr.shape[:-2])
    opt = _optimize(arr, d, starts=starts, seed=seed, tol=tol, maxiter=maxiter)
    return opt if return_result else opt.value


def _optimize(arr: np.ndarray, d: int, *, starts: int, seed: Any, tol: float, maxiter: int) -> FullyEntangledFraction:
    """Multistart ascent over maximally entangled kets of one validated ``d x d`` state."""
    rng = np.random.default_rng(seed)
    _, evecs = np.linalg.eigh(arr)
    initial = [_polar(evecs[:, -1].reshape(d, d)), np.eye(d, dtype=complex)][:starts]
    initial += [random_unitary(d, seed=rng) for _ in range(starts - len(initial))]
    runs = [_ascent(arr, w0, d, tol, maxiter) for w0 in initial]
    values = np.array([r[1] for r in runs])
    best = int(np.argmax(values))
    w, value, gnorm, iters = runs[best]
    agreeing = int(np.sum(values >= value - max(tol, 1e-9) * 10))
    if gnorm > np.sqrt(tol):
        raise ConvergenceError(
            f"fully_entangled_fraction optimiser stopped at gradient norm {gnorm:.2e} after {iters} iterations; "
            "increase maxiter or starts"
        )
    return FullyEntangledFraction(
        value=float(value),
        state=w.reshape(-1) / np.sqrt(d),
        method="optimize",
        converged=True,
        gradient_norm=gnorm,
        iterations=iters,
        starts=len(initial),
        agreeing_starts=agreeing,
    )
