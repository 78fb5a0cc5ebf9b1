r"""Batched time evolution of many small static models (a parameter grid) with stacked exponentials.

For ``B`` models with Liouvillians :math:`\mathcal L_b` (Liouville dimension
:math:`n = D^2`), the propagators :math:`e^{\mathcal L_b\Delta t}` of every distinct step are
computed at once on a ``(B, n, n)`` stack (:func:`expm_stack`: scaling and
squaring with Padé approximants, batched; Higham, SIAM J. Matrix Anal. Appl. 26, 1179 (2005)) and
applied with batched matrix products.  Exact to round-off, like ``evolve(method="expm")``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle.errors import DimensionError, InvalidParameterError

__all__ = ["BatchEvolution", "affine_liouvillians", "evolve_batch", "expm_stack"]

#: largest Liouville dimension D**2 for stacked dense exponentials
BATCH_DENSE_MAX = 256
_CHUNK_BYTES = 256e6


@dataclass
class BatchEvolution:
    """Result of :func:`evolve_batch`: ``times`` ``(T,)``; ``states`` ``(B, T, D, D)`` or ``None``;
    ``expect`` ``(B, K, T)`` with names ``e_names``; ``measures`` ``{name: (B, T)}``."""

    times: np.ndarray
    states: np.ndarray | None
    expect: np.ndarray | None
    e_names: list[str] = field(default_factory=list)
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    def __repr__(self) -> str:
        B = (
            self.states.shape[0]
            if self.states is not None
            else (self.expect.shape[0] if self.expect is not None else "?")
        )
        return (
            f"BatchEvolution(B={B}, T={self.times.size}, e_names={self.e_names}, measures={sorted(self.measures)}, "
            f"seconds={self.seconds:.3g})"
        )


def evolve_batch(
    models: Sequence[Any],
    rho0: Any,
    times: Sequence[float],
    *,
    e_ops: Any = None,
    measures: Any = None,
    store_states: bool = True,
) -> BatchEvolution:
    r"""Evolve every static model of ``models`` from the same ``rho0`` over ``times`` (stacked exponentials).

    Parameters
    ----------
    models : a sequence of static :class:`~opentangle.lindblad.Model` with the same dimension
        :math:`D`, :math:`D^2 \le 256` (e.g. a parameter grid of two-qubit models), or a stack
        ``(B, D^2, D^2)`` of Liouvillians (column stacking; :func:`affine_liouvillians` builds one
        for a grid without building ``B`` models).
    rho0 : ket or density matrix shared by all models.
    times : increasing times; ``rho(times[0]) = rho0``.
    e_ops : operator, list or ``{name: operator}``; ``expect[b, k, t]`` (real for Hermitian operators).
    measures : names or callables as in :func:`~opentangle.lindblad.evolve` (evaluated per state).
    store_states : keep ``states`` ``(B, T, D, D)``.

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.lindblad import Model
    >>> from opentangle.operators import sigma_minus, sigma_z
    >>> ms = [Model(jumps=[(sigma_minus(), g)]) for g in (0.5, 1.0)]
    >>> ev = evolve_batch(ms, [1, 0], [0.0, 1.0], e_ops={"z": sigma_z()})
    >>> bool(np.allclose(ev.expect[:, 0, 1], 2 * np.exp([-0.5, -1.0]) - 1))
    True
    """
    from opentangle.lindblad._idioms import resolve_measures
    from opentangle.lindblad.dynamics import _check_times, _initial_state, _named
    from opentangle.lindblad.model import _to_csr, liouvillian

    start = time.perf_counter()
    stack, dims = _as_stack(models)
    D = stack[0].dim if isinstance(stack, list) else int(np.rint(np.sqrt(stack.shape[1])))
    n = D * D
    if n > BATCH_DENSE_MAX:
        raise InvalidParameterError(
            f"evolve_batch stacks dense {n} x {n} exponentials (D = {D}); it handles D**2 <= {BATCH_DENSE_MAX}; "
            "loop over evolve(...) for larger models"
        )
    t = _check_times(times)
    x0 = _initial_state(rho0, D).reshape(-1, order="F")
    named = _named(e_ops, "O")
    ops = []
    for name, o in named:
        mat, _ = _to_csr(o, f"observable {name}")
        if mat.shape != (D, D):
            raise DimensionError(f"observable {name} has shape {mat.shape}; the models have dimension {D}")
        ops.append(mat.toarray())
    meas = resolve_measures(measures, dims)
    B, T = len(stack), t.size
    herm = all(np.allclose(o, o.conj().T, atol=1e-12) for o in ops)
    # tr(O rho) = vec(O^T) . vec(rho): one (K, n) matrix applied to all states
    W = np.array([o.T.reshape(-1, order="F") for o in ops]) if ops else None
    states: np.ndarray | None = np.empty((B, T, D, D), complex) if store_states else None
    expect = np.empty((B, len(ops), T), float if herm else complex) if ops else None
    mvals = {name: np.empty((B, T)) for name, _ in meas}
    chunk = max(1, int(_CHUNK_BYTES // (n * n * 16 * 8)))
    dts = np.diff(t)
    keys, inverse = np.unique(np.round(dts, 14), return_inverse=True)
    for b0 in range(0, B, chunk):
        sl = slice(b0, min(B, b0 + chunk))
        Ls = np.stack([liouvillian(m).toarray() for m in stack[sl]]) if isinstance(stack, list) else stack[sl]
        props = [expm_stack(Ls * dt) for dt in keys]  # (b, n, n) per distinct step
        X = np.empty((Ls.shape[0], T, n), complex)
        X[:, 0] = x0
        for i in range(1, T):
            X[:, i] = np.matmul(props[inverse[i - 1]], X[:, i - 1, :, None])[..., 0]
        R = X.reshape(Ls.shape[0], T, D, D, order="C").transpose(0, 1, 3, 2)  # unvec (column stacking)
        if states is not None:
            states[sl] = R
        if W is not None and expect is not None:
            e = np.matmul(X, W.T).transpose(0, 2, 1)  # (b, K, T)
            expect[sl] = e.real if herm else e
        for name, f in meas:
            for bb in range(R.shape[0]):
                for i in range(T):
                    r = R[bb, i]
                    mvals[name][b0 + bb, i] = f((r + r.conj().T) / 2)
    return BatchEvolution(
        times=t,
        states=states,
        expect=expect,
        e_names=[nm for nm, _ in named],
        measures=mvals,
        seconds=time.perf_counter() - start,
    )


#: Pade [13/13] coefficients and the 1-norm bound theta_13 of Higham, SIAM J. Matrix Anal. Appl. 26, 1179 (2005)
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def expm_stack(A: np.ndarray) -> np.ndarray:
    r""":math:`e^{A_b}` for a stack ``A`` ``(B, n, n)``: scaling and squaring with the [13/13] Padé approximant.

    Each matrix is scaled by :math:`2^{-s_b}` so that :math:`\|A_b\|_1 2^{-s_b} \le \theta_{13}`, the
    approximant :math:`r_{13}(X) = (V - U)^{-1}(V + U)` is evaluated for the whole stack with batched
    products (6 products and one batched solve), and each result is squared :math:`s_b` times
    (Higham, SIAM J. Matrix Anal. Appl. 26, 1179 (2005)); the same algorithm as ``scipy.linalg.expm``
    without the lower-degree shortcuts, but in one pass over the stack instead of a loop over matrices.

    Example
    -------
    >>> import numpy as np, scipy.linalg as sla
    >>> A = np.random.default_rng(0).standard_normal((3, 5, 5))
    >>> bool(np.allclose(expm_stack(A), [sla.expm(a) for a in A], rtol=1e-12, atol=1e-14))
    True
    """
    A = np.asarray(A)
    norm = np.abs(A).sum(axis=1).max(axis=1)  # 1-norm of each matrix
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / _THETA13))).astype(int)
    X = A * (2.0**-s)[:, None, None]
    b = _PADE13
    eye = np.eye(A.shape[1])
    X2 = X @ X
    X4 = X2 @ X2
    X6 = X4 @ X2
    U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * eye)
    V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 + b[0] * eye
    R = np.linalg.solve(V - U, V + U)
    for k in range(int(s.max(initial=0))):
        sel = s > k
        R[sel] = R[sel] @ R[sel]
    return R


def _as_stack(models: Any) -> tuple[Any, list[int]]:
    """A list of Models (same dimension) or a validated ``(B, n, n)`` array, and the subsystem dims."""
    from opentangle.lindblad.model import Model

    if isinstance(models, np.ndarray):
        if models.ndim != 3 or models.shape[1] != models.shape[2] or models.shape[0] == 0:
            raise DimensionError(f"a Liouvillian stack must have shape (B, n, n); got {models.shape}")
        D = int(np.rint(np.sqrt(models.shape[1])))
        if models.shape[1] != D * D:
            raise DimensionError(f"the Liouville dimension {models.shape[1]} is not a square D**2")
        if not np.all(np.isfinite(models)):
            raise InvalidParameterError("the Liouvillian stack contains NaN or infinite entries")
        return models.astype(complex, copy=False), [D]
    models = [models] if isinstance(models, Model) else list(models)
    if not models or not all(isinstance(m, Model) for m in models):
        raise InvalidParameterError(
            "evolve_batch takes a non-empty sequence of Models or a (B, n, n) Liouvillian stack"
        )
    D = models[0].dim
    if any(m.dim != D for m in models):
        raise DimensionError(f"all models must have the same dimension; got {sorted({m.dim for m in models})}")
    return models, list(models[0].dims)


def affine_liouvillians(parts: Sequence[Any], coefficients: Any) -> np.ndarray:
    r"""The stack :math:`\mathcal L_b = \sum_k c_{bk}\,\mathcal L(\text{parts}_k)` for a parameter grid.

    A model that is linear in its parameters (Hamiltonian couplings, rates) is a sum of parts with
    unit parameters, so a grid of ``B`` points needs ``K`` Liouvillians, not ``B`` models.

    Parameters
    ----------
    parts : ``K`` static Models of the same dimension (e.g. the Hamiltonian at g = 1, a channel at rate 1).
    coefficients : ``(B, K)`` real array of the parameter values (rates must keep every
        :math:`\mathcal L_b` a Lindbladian: non-negative coefficients on dissipative parts).

    Example
    -------
    >>> from opentangle.lindblad import Model
    >>> from opentangle.operators import sigma_minus, sigma_z
    >>> parts = [Model(hamiltonian=sigma_z()), Model(jumps=[(sigma_minus(), 1.0)])]
    >>> affine_liouvillians(parts, [[1.0, 0.5], [2.0, 1.0]]).shape
    (2, 4, 4)
    """
    from opentangle.lindblad.model import Model, liouvillian

    parts = list(parts)
    if not parts or not all(isinstance(p, Model) for p in parts):
        raise InvalidParameterError("parts must be a non-empty list of static Models")
    if len({p.dim for p in parts}) != 1:
        raise DimensionError("all parts must have the same dimension")
    C = np.asarray(coefficients, dtype=float)
    if C.ndim != 2 or C.shape[1] != len(parts):
        raise DimensionError(f"coefficients must have shape (B, {len(parts)}); got {C.shape}")
    if not np.all(np.isfinite(C)):
        raise InvalidParameterError("coefficients contain NaN or infinite values")
    Ls = np.stack([liouvillian(p).toarray() for p in parts])
    return np.einsum("bk,kij->bij", C, Ls)
