r"""Separability criteria beyond PPT: realignment (CCNR), reduction, rank and purity bounds.

For a bipartite state :math:`\rho` on :math:`\mathbb C^{d_A}\otimes\mathbb C^{d_B}`:

* realignment :math:`R(\rho)_{(ij),(kl)} = \rho_{(ik),(jl)}`; separable states
  have :math:`\lVert R(\rho)\rVert_1 \le 1` (CCNR: O. Rudolph, J. Phys. A 36,
  5825 (2003); K. Chen, L.-A. Wu, QIC 3, 193 (2003));
* reduction map :math:`\Lambda(X) = \mathrm{tr}(X)\,1 - X`; separable states have
  :math:`1\otimes\rho_B - \rho \ge 0` and :math:`\rho_A\otimes 1 - \rho \ge 0`
  (M. Horodecki, P. Horodecki, PRA 59, 4206 (1999));
* rank: separable states have :math:`\mathrm{rank}\rho \ge \max(\mathrm{rank}\rho_A, \mathrm{rank}\rho_B)`,
  and a PPT state with equality is separable (P. Horodecki, M. Lewenstein,
  G. Vidal, I. Cirac, PRA 62, 032310 (2000));
* purity: :math:`\mathrm{tr}\rho^2 \le 1/(D-1)`, :math:`D = d_A d_B`, implies
  separability (L. Gurvits, H. Barnum, PRA 66, 062311 (2002));
* PPT is necessary, and sufficient for :math:`d_A d_B \le 6` (M., P. and R.
  Horodecki, Phys. Lett. A 223, 1 (1996)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle._convert import as_array, as_operator, check_real, resolve_dims
from opentangle.errors import InvalidParameterError
from opentangle.measures._common import hermitian_eigvals, prepare_state, resolve_part_a
from opentangle.operators import partial_trace, partial_transpose

__all__ = [
    "Separability",
    "ccnr_norm",
    "is_separable",
    "realignment",
    "reduction_criterion",
    "reduction_map",
]


def _group(arr: np.ndarray, dims: list[int], part_a) -> tuple[np.ndarray, int, int]:
    """Reorder subsystems to ``A | B`` and return the state with ``(d_A, d_B)``."""
    n = len(dims)
    part = resolve_part_a(part_a, n)
    rest = [i for i in range(n) if i not in part]
    order = part + rest
    t = arr.reshape(*dims, *dims).transpose(*order, *(n + i for i in order))
    da = math.prod(dims[i] for i in part)
    return t.reshape(arr.shape), da, arr.shape[-1] // da


def realignment(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None
) -> np.ndarray:
    r"""Realigned matrix :math:`R(\rho)_{(ij),(kl)} = \rho_{(ik),(jl)}`, shape ``(d_A^2, d_B^2)``.

    Any operator is accepted (the map is linear); ``dims`` default to two equal subsystems.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(float(np.linalg.svd(realignment(bell_state("phi+")), compute_uv=False).sum()), 12)
    2.0
    """
    arr, qd = as_array(rho, name="rho")
    arr, _ = as_operator(arr, name="rho")
    dims = resolve_dims(arr.shape[0], dims, qobj_dims=qd)
    arr, da, db = _group(arr, dims, part_a)
    return arr.reshape(da, db, da, db).transpose(0, 2, 1, 3).reshape(da * da, db * db)


def ccnr_norm(rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None) -> float:
    r""":math:`\lVert R(\rho)\rVert_1`; a value above 1 proves entanglement (CCNR criterion).

    Example
    -------
    >>> from opentangle.states import werner_state
    >>> ccnr_norm(werner_state(0.5)) > 1, ccnr_norm(werner_state(0.3)) > 1
    (True, False)
    """
    arr, dims = prepare_state(rho, dims)
    return float(np.linalg.svd(realignment(arr, dims, part_a=part_a), compute_uv=False).sum())


def reduction_map(x: Any) -> np.ndarray:
    r"""The reduction map :math:`\Lambda(X) = \mathrm{tr}(X)\,1 - X` (positive, not completely positive).

    Apply it to one subsystem with :func:`reduction_criterion`; as a :class:`~opentangle.channels.Channel`
    use ``from_function(reduction_map, dims_in=d, dims_out=d, check=False)``.

    Example
    -------
    >>> reduction_map(np.diag([0.75, 0.25])).real.tolist()
    [[0.25, 0.0], [0.0, 0.75]]
    """
    arr, _ = as_operator(x, name="X", batch=True)
    tr = np.trace(arr, axis1=-2, axis2=-1)[..., None, None]
    return tr * np.eye(arr.shape[-1]) - arr


def reduction_criterion(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, atol: float = 1e-8
) -> bool:
    r"""True when :math:`1_A\otimes\rho_B - \rho \ge 0` and :math:`\rho_A\otimes 1_B - \rho \ge 0` (within ``atol``).

    False proves entanglement (it then also violates PPT: reduction is weaker).

    Example
    -------
    >>> from opentangle.states import isotropic_state
    >>> reduction_criterion(isotropic_state(0.3, 3)), reduction_criterion(isotropic_state(0.5, 3))
    (True, False)
    """
    return _reduction_min_eig(rho, dims, part_a) >= -_atol(atol)


def _atol(atol: Any) -> float:
    v = check_real(atol, "atol")
    if v < 0:
        raise InvalidParameterError(f"atol must be >= 0; got {v}")
    return v


def _reduction_min_eig(rho, dims, part_a) -> float:
    arr, dims = prepare_state(rho, dims)
    arr, da, db = _group(arr, dims, part_a)
    ra, rb = partial_trace(arr, [0], [da, db]), partial_trace(arr, [1], [da, db])
    a = np.kron(np.eye(da), rb) - arr
    b = np.kron(ra, np.eye(db)) - arr
    return float(min(hermitian_eigvals(a)[0], hermitian_eigvals(b)[0]))


@dataclass(frozen=True)
class Separability:
    """Result of :func:`is_separable`.

    ``separable`` is True (proved separable), False (proved entangled) or None
    (no cheap test decides); ``decided_by`` names the test; ``checks`` lists
    each test that ran with its number.
    """

    separable: bool | None
    decided_by: str
    reason: str
    dims: tuple
    checks: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        if self.separable is None:
            raise InvalidParameterError("separability is undecided by the cheap tests; inspect .separable first")
        return self.separable

    def __repr__(self) -> str:
        return f"Separability(separable={self.separable}, decided_by={self.decided_by!r}, dims={list(self.dims)}: {self.reason})"


def is_separable(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, atol: float = 1e-8
) -> Separability:
    r"""Decide separability across ``part_a | rest`` with the cheap tests, saying which one decided.

    Order: pure state (Schmidt rank), rank criterion, PPT (NPT proves entanglement;
    PPT is sufficient for :math:`d_A d_B \le 6`), PPT with
    :math:`\mathrm{rank}\rho \le \max` local rank (separable), reduction, CCNR,
    purity ball.  Undecided states return ``separable=None``.

    Example
    -------
    >>> from opentangle.states import werner_state
    >>> is_separable(werner_state(0.3)).decided_by, is_separable(werner_state(0.5)).separable
    ('PPT (sufficient for d_A d_B <= 6)', False)
    """
    atol = _atol(atol)
    arr, dims = prepare_state(rho, dims)
    arr, da, db = _group(arr, dims, part_a)
    d2 = [da, db]
    checks: dict[str, float] = {}

    def out(sep, by, why):
        return Separability(sep, by, why, tuple(dims), checks)

    ev = hermitian_eigvals(arr)
    tol_rank = max(atol, 1e-10)
    rank = int(np.sum(ev > tol_rank))
    ra = int(np.sum(hermitian_eigvals(partial_trace(arr, [0], d2)) > tol_rank))
    rb = int(np.sum(hermitian_eigvals(partial_trace(arr, [1], d2)) > tol_rank))
    checks.update(rank=rank, rank_a=ra, rank_b=rb)
    if rank == 1:
        return out(ra == 1, "pure state (Schmidt rank)", f"pure with Schmidt rank {ra}")
    if rank < max(ra, rb):
        return out(False, "rank criterion", f"rank {rank} < max local rank {max(ra, rb)}")
    ptmin = float(hermitian_eigvals(partial_transpose(arr, [0], d2))[0])
    checks["min_eig_partial_transpose"] = ptmin
    if ptmin < -atol:
        return out(False, "PPT", f"partial transpose has eigenvalue {ptmin:.3g} < 0")
    if da * db <= 6:
        return out(True, "PPT (sufficient for d_A d_B <= 6)", f"PPT in {da}x{db} (Horodecki 1996)")
    if rank <= max(ra, rb):
        return out(True, "PPT and low rank", f"PPT with rank {rank} <= max local rank (Horodecki et al. 2000)")
    red = _reduction_min_eig(arr, d2, [0])
    checks["min_eig_reduction"] = red
    if red < -atol:  # pragma: no cover - implied by NPT, kept for completeness
        return out(False, "reduction", f"reduction criterion violated (eigenvalue {red:.3g})")
    ccnr = float(np.linalg.svd(realignment(arr, d2), compute_uv=False).sum())
    checks["ccnr_norm"] = ccnr
    if ccnr > 1 + atol:
        return out(False, "CCNR (realignment)", f"||R(rho)||_1 = {ccnr:.6g} > 1: PPT entangled (bound entangled)")
    purity = float(np.sum(ev**2))
    checks["purity"] = purity
    if purity <= 1 / (da * db - 1) + 1e-15:
        return out(True, "purity ball", f"tr rho^2 = {purity:.6g} <= 1/(D-1) (Gurvits-Barnum 2002)")
    return out(None, "undecided", "PPT, CCNR-satisfying and outside the separable ball: no cheap test decides")
