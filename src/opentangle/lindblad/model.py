r"""Lindblad models, named local channels and the Liouvillian superoperator.

A :class:`Model` is a Hamiltonian :math:`H` plus jump operators :math:`c_k`
with rates :math:`\gamma_k \ge 0`,

.. math::
    \dot\rho = \mathcal L\rho = -i[H,\rho]
        + \sum_k \gamma_k\bigl(c_k\rho c_k^\dagger - \tfrac12\{c_k^\dagger c_k,\rho\}\bigr).

Conventions
-----------
* Column stacking: ``vec(rho) = rho.reshape(-1, order="F")`` so that
  :math:`\mathrm{vec}(A\rho B) = (B^T\otimes A)\,\mathrm{vec}(\rho)`.
* Qubit basis as in :mod:`opentangle.operators`: ``sz|0> = +|0>``,
  ``sigma_minus = |1><0|``, ``sigma_plus = |0><1|``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from opentangle._convert import _is_qobj, as_array, check_nonnegative
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.lindblad.timedep import (
    Coefficient,
    Pulse,
    TimeDependentLiouvillian,
    dissipator_superop,
    hamiltonian_superop,
)
from opentangle.operators import embed, sigma_minus, sigma_plus, sigma_z
from opentangle.states import as_density_matrix

__all__ = [
    "Jump",
    "Model",
    "amplitude_damping",
    "correlated_decay",
    "dephasing",
    "liouvillian",
    "reset",
    "thermal_jumps",
]

_HERM_RTOL = 1e-10
_MISSING = object()


def _to_csr(x: Any, name: str) -> tuple[sp.csr_matrix, list[int] | None]:
    """A complex CSR matrix (and Qobj dims if any) from an array, sparse matrix or Qobj."""
    dims = None
    if _is_qobj(x):
        dims = [int(d) for d in x.dims[0]]
        try:  # QuTiP 5 keeps CSR data; avoid densifying large operators
            mat = sp.csr_matrix(x.to("csr").data_as("csr_matrix"), dtype=complex)
        except Exception:  # pragma: no cover - older QuTiP
            mat = sp.csr_matrix(np.asarray(x.full()), dtype=complex)
    elif sp.issparse(x):
        mat = sp.csr_matrix(x, dtype=complex)
    else:
        arr, _ = as_array(x, name=name)
        if arr.ndim != 2:
            raise DimensionError(f"{name} must be a matrix; got shape {arr.shape}")
        mat = sp.csr_matrix(arr.astype(complex))
    if mat.shape[0] != mat.shape[1]:
        raise DimensionError(f"{name} must be square; got shape {mat.shape}")
    if not np.all(np.isfinite(mat.data)):
        raise InvalidParameterError(f"{name} contains NaN or infinite entries; check how it was built")
    mat.eliminate_zeros()
    mat.sort_indices()
    return mat, dims


@dataclass(frozen=True, init=False, eq=False)
class Jump:
    r"""One Lindblad term :math:`\gamma\,(c\rho c^\dagger - \tfrac12\{c^\dagger c,\rho\})`.

    ``op`` may be an ndarray, a scipy sparse matrix or a ``Qobj``; it is stored
    as a CSR matrix.  ``rate`` is required: a finite number ``>= 0``, or a time-dependent rate
    :math:`\gamma(t) \ge 0` (a callable ``f(t, **args)``, a :class:`~opentangle.lindblad.timedep.Pulse`
    or an array of samples on the model's ``tlist``; see :mod:`opentangle.lindblad.timedep`).
    """

    op: sp.csr_matrix
    rate: Any

    def __init__(self, op: Any, rate: Any = _MISSING):
        if rate is _MISSING:
            raise InvalidParameterError(
                "Jump(op) needs a rate: Jump(op, rate) with rate >= 0 (a QuTiP collapse operator sqrt(g) c is "
                "Jump(c, g)); the rate is not assumed to be 1"
            )
        if isinstance(rate, str):
            raise InvalidParameterError(
                f"jump rate must be a real number or a time-dependent rate (callable f(t, **args), Pulse, samples); "
                f"got the string {rate!r} (string coefficients are not compiled: pass a callable)"
            )
        mat, qdims = _to_csr(op, "jump operator")
        object.__setattr__(self, "_local", None)  # (site, local op, dims) when built by Jump.local
        object.__setattr__(self, "_qdims", qdims)  # subsystem dims of a Qobj operator (Model reads them)
        object.__setattr__(self, "op", mat)
        if _is_td_spec(rate):
            object.__setattr__(self, "rate", rate)  # Model turns it into a Coefficient (it knows args, tlist)
        else:
            object.__setattr__(self, "rate", check_nonnegative(_check_rate_type(rate, "jump rate"), "jump rate"))

    @property
    def time_dependent(self) -> bool:
        """Whether the rate is a function of time."""
        return _is_td_spec(self.rate)

    @classmethod
    def local(cls, op: Any, *, site: int, dims: Sequence[int], rate: float) -> Jump:
        """A jump acting on one subsystem: ``embed(op, site, dims)``; solvers exploit the locality."""
        j = cls(embed(op, site, dims, sparse=True), rate)
        object.__setattr__(j, "_local", (int(site), np.asarray(op, dtype=complex), tuple(int(d) for d in dims)))
        return j

    def __repr__(self) -> str:
        r = f"{self.rate:g}" if not self.time_dependent else f"<{type(self.rate).__name__}>"
        return f"Jump(op=<{self.op.shape[0]}x{self.op.shape[1]}, nnz={self.op.nnz}>, rate={r})"


def _is_td_spec(x: Any) -> bool:
    """A time-dependent coefficient: callable, Pulse, string or a 1-D array of samples."""
    if isinstance(x, (str, Pulse)) or callable(x):
        return True
    return isinstance(x, (list, np.ndarray)) and np.ndim(x) == 1 and len(x) > 1


def _is_op(x: Any) -> bool:
    return _is_qobj(x) or sp.issparse(x) or (isinstance(x, np.ndarray) and x.ndim == 2)


def _is_td_list(h: Any) -> bool:
    """QuTiP's list form ``[H0, [H1, f1], ...]`` (a nested list of numbers is a matrix, not this)."""
    if not isinstance(h, list) or not h:
        return False
    for e in h:
        if _is_op(e):
            return True
        if isinstance(e, (list, tuple)) and len(e) == 2 and (_is_op(e[0]) or np.ndim(e[0]) == 2):
            return True
    return False


def _check_rate_type(rate: Any, name: str) -> Any:
    """Reject strings and other non-numeric rate types (``check_nonnegative`` would parse ``"1"``)."""
    numeric = isinstance(rate, (int, float, complex, np.number)) and not isinstance(rate, (bool, np.bool_))
    zero_dim = isinstance(rate, np.ndarray) and rate.ndim == 0 and np.issubdtype(rate.dtype, np.number)
    if not (numeric or zero_dim):
        raise InvalidParameterError(f"{name} must be a real number; got {type(rate).__name__} {rate!r}")
    return rate


def _check_dims(dims: Any, name: str = "dims") -> list[int]:
    """A list of positive integer subsystem dimensions (2.5 or "2" is an error, not truncated)."""
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, (bool, np.bool_)):
        dims = [dims]
    try:
        items = list(dims)
    except TypeError:
        raise DimensionError(f"{name} must be a list of positive integers; got {dims!r}") from None
    out = []
    for d in items:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, float, np.integer, np.floating)):
            raise DimensionError(f"{name} must be a list of positive integers; got {items!r}")
        if not np.isfinite(d) or int(d) != d or d < 1:
            raise DimensionError(f"{name} must be a list of positive integers; got {items!r}")
        out.append(int(d))
    return out


def _as_jump(j: Any) -> Jump:
    if isinstance(j, Jump):
        return j
    if isinstance(j, tuple) and len(j) == 2:
        return Jump(j[0], j[1])
    raise InvalidParameterError(f"jumps must be Jump(op, rate) objects or (op, rate) tuples; got {type(j).__name__}")


def _flatten_jumps(jumps: Any) -> list[Jump]:
    """One Jump, one ``(op, rate)`` tuple or an iterable of them (nested lists flattened) -> list of Jumps."""
    if jumps is None:
        jumps = ()
    single_tuple = isinstance(jumps, tuple) and len(jumps) == 2 and not isinstance(jumps[0], (Jump, tuple, list))
    if isinstance(jumps, Jump) or single_tuple:
        jumps = [jumps]  # one Jump or one (op, rate) tuple
    try:
        jumps = list(jumps)
    except TypeError:
        raise InvalidParameterError(
            f"jumps must be a list of Jump(op, rate) objects or (op, rate) tuples; got {type(jumps).__name__}"
        ) from None
    flat: list[Any] = []
    for j in jumps:
        if isinstance(j, list):
            flat.extend(j)
        else:
            flat.append(j)
    return [_as_jump(j) for j in flat]


def _static_hamiltonian(
    hamiltonian: Any, all_jumps: list[Jump], dims: list[int] | None
) -> tuple[sp.csr_matrix, list[tuple[Any, Any]], Any]:
    """The static, Hermitian-symmetrised Hamiltonian, the time-dependent terms and the Qobj dims (or None)."""
    qdims = None
    td_terms: list[tuple[Any, Any]] = []
    if _is_td_list(hamiltonian):
        hamiltonian, td_terms, qdims = _split_td_list(hamiltonian)
    if hamiltonian is None:
        if not all_jumps and dims is None:
            raise DimensionError("Model needs a hamiltonian, jumps or dims to know its dimension")
        total = all_jumps[0].op.shape[0] if all_jumps else math.prod(dims or [])
        H = sp.csr_matrix((total, total), dtype=complex)
    else:
        H, qd = _to_csr(hamiltonian, "hamiltonian")
        qdims = qdims if qdims is not None else qd
    if H.shape[0] == 0:
        raise DimensionError("the hamiltonian is 0 x 0; a model needs at least one state")
    herm = abs(H - H.getH()).max() if H.nnz else 0.0
    scale = max(1.0, abs(H).max() if H.nnz else 0.0)
    if herm > _HERM_RTOL * scale:
        raise InvalidParameterError(
            f"hamiltonian is not Hermitian (max |H - H^dag| = {herm:.3g}); "
            "pass a Hermitian matrix (put losses into jump operators)"
        )
    return ((H + H.getH()) * 0.5).tocsr(), td_terms, qdims


def _resolve_dims(dims: list[int] | None, qdims: Any, all_jumps: list[Jump], D: int) -> list[int]:
    """Check the jump shapes and the Qobj dims against ``dims``; the subsystem dims (default: Qobj dims, else [D])."""
    for k, j in enumerate(all_jumps):
        if j.op.shape != (D, D):
            raise DimensionError(
                f"jump {k} has shape {j.op.shape} but the hamiltonian has dimension {D}; "
                "embed local operators with opentangle.operators.embed(op, site, dims)"
            )
    # subsystem dims carried by Qobj operators (hamiltonian or jumps) must agree with each other and with dims
    sources = [("hamiltonian", qdims)] if qdims is not None else []
    sources += [(f"jump {k}", qd) for k, j in enumerate(all_jumps) if (qd := getattr(j, "_qdims", None)) is not None]
    for label, qd in sources:
        if math.prod(qd) != D:
            continue
        ref = dims if dims is not None else sources[0][1]
        if list(qd) != list(ref):
            what = "dims" if dims is not None else sources[0][0]
            raise DimensionError(
                f"{label} is a Qobj with dims {list(qd)} but {what} says {list(ref)}; "
                "pass consistent subsystem dimensions"
            )
    if dims is None:
        valid = [qd for _, qd in sources if math.prod(qd) == D]
        dims = list(valid[0]) if valid else [D]
    if math.prod(dims) != D:
        raise DimensionError(f"dims {dims} multiply to {math.prod(dims)} but the operators have dimension {D}")
    return dims


class Model:
    r"""A Lindblad model: Hamiltonian, jump operators with rates, subsystem dims.

    Parameters
    ----------
    hamiltonian : Hermitian matrix (ndarray, sparse, ``Qobj``) or ``None`` (no Hamiltonian).
    jumps : iterable of :class:`Jump` or ``(op, rate)`` tuples; nested lists (as
        returned by the channel builders) are flattened.
    dims : subsystem dimensions (positive integers); defaults to the ``Qobj`` dims of the hamiltonian or
        of a jump operator, else ``[D]``. Explicit dims that contradict ``Qobj`` dims raise ``DimensionError``.
    args : keyword arguments passed to every coefficient function, ``f(t, **args)``.
    tlist : the sample times of array coefficients (strictly increasing).

    Time dependence
    ---------------
    ``hamiltonian`` may be QuTiP's list form ``[H0, [H1, f1], [H2, f2], ...]``,
    :math:`H(t) = H_0 + \sum_k f_k(t) H_k` with Hermitian :math:`H_k` and real :math:`f_k`, and a
    jump's rate may be a function of time (``Jump(op, rate=f)``).  A coefficient is a callable
    ``f(t, **args)``, a :class:`~opentangle.lindblad.timedep.Pulse` or an array sampled on ``tlist``
    (cubic spline); constant coefficients are folded into the static part.  The static parts stay in
    ``hamiltonian`` and ``jumps``; the time-dependent terms are ``td_hamiltonian`` and ``td_jumps``
    (pairs ``(operator or Jump, Coefficient)``), and ``time_dependent`` says whether there are any.
    Steady-state solvers and :func:`liouvillian` refuse time-dependent models; :func:`evolve` integrates them.

    Example
    -------
    >>> from opentangle.operators import embed, sigma_z
    >>> dims = [2, 2]
    >>> H = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    >>> m = Model(hamiltonian=H, jumps=dephasing(site=0, rate=1.0, dims=dims), dims=dims)
    >>> m.dim
    4
    """

    def __init__(
        self,
        *,
        hamiltonian: Any = None,
        jumps: Iterable[Any] = (),
        dims: Sequence[int] | None = None,
        args: dict | None = None,
        tlist: Sequence[float] | None = None,
    ):
        all_jumps = _flatten_jumps(jumps)
        self.jumps: list[Jump] = [j for j in all_jumps if not j.time_dependent]
        if dims is not None:
            dims = _check_dims(dims)
        self.args, self.tlist = _check_args(args), _check_tlist(tlist)
        H, td_terms, qdims = _static_hamiltonian(hamiltonian, all_jumps, dims)
        D = H.shape[0]
        self.hamiltonian: sp.csr_matrix = H
        self.td_hamiltonian = self._td_hamiltonian_terms(td_terms, D)
        self.td_jumps = self._td_jump_terms(all_jumps)
        self.dims: list[int] = _resolve_dims(dims, qdims, all_jumps, D)
        self._cache: dict[str, Any] = {}

    def _td_jump_terms(self, all_jumps: list[Jump]) -> list[tuple[Jump, Coefficient]]:
        return [
            (
                j,
                Coefficient(
                    j.rate, name=f"rate of time-dependent jump {k}", args=self.args, tlist=self.tlist, nonnegative=True
                ),
            )
            for k, j in enumerate(j for j in all_jumps if j.time_dependent)
        ]

    def _td_hamiltonian_terms(self, terms: list[tuple[Any, Any]], D: int) -> list[tuple[sp.csr_matrix, Coefficient]]:
        out = []
        for k, (op, spec) in enumerate(terms):
            Hk, _ = _to_csr(op, f"hamiltonian term {k + 1}")
            if Hk.shape != (D, D):
                raise DimensionError(f"hamiltonian term {k + 1} has shape {Hk.shape}; the model has dimension {D}")
            herm = abs(Hk - Hk.getH()).max() if Hk.nnz else 0.0
            if herm > _HERM_RTOL * max(1.0, abs(Hk).max() if Hk.nnz else 0.0):
                raise InvalidParameterError(
                    f"time-dependent hamiltonian term {k + 1} is not Hermitian (max |H - H^dag| = {herm:.3g}); write a "
                    "complex drive f(t) s+ + conj(f(t)) s- as Re f(t) (s+ + s-) + Im f(t) i(s+ - s-)"
                )
            out.append(
                (
                    Hk,
                    Coefficient(
                        spec,
                        name=f"coefficient of hamiltonian term {k + 1}",
                        args=self.args,
                        tlist=self.tlist,
                        nonnegative=False,
                    ),
                )
            )
        return out

    @property
    def dim(self) -> int:
        """Hilbert-space dimension ``D``."""
        return self.hamiltonian.shape[0]

    @property
    def time_dependent(self) -> bool:
        """Whether the Hamiltonian or a rate depends on time."""
        return bool(self.td_hamiltonian or self.td_jumps)

    def __repr__(self) -> str:
        td = f", time-dependent terms={len(self.td_hamiltonian) + len(self.td_jumps)}" if self.time_dependent else ""
        return f"Model(dims={self.dims}, D={self.dim}, H nnz={self.hamiltonian.nnz}, jumps={len(self.jumps)}{td})"

    def time_dependent_liouvillian(self) -> TimeDependentLiouvillian:
        r""":math:`\mathcal L(t) = \mathcal L_0 + \sum_k f_k(t)\,\mathcal H_k + \sum_j g_j(t)\,\mathcal D_j` (cached)."""
        if "tdl" not in self._cache:
            terms = [(hamiltonian_superop(Hk), c) for Hk, c in self.td_hamiltonian]
            terms += [(dissipator_superop(j.op), c) for j, c in self.td_jumps]
            self._cache["tdl"] = TimeDependentLiouvillian(_static_liouvillian(self), terms)
        return self._cache["tdl"]

    def effective_hamiltonian(self) -> sp.csr_matrix:
        r""":math:`H_\mathrm{eff} = H - \tfrac{i}{2}\sum_k\gamma_k c_k^\dagger c_k` (sparse)."""
        if "heff" not in self._cache:
            if self.dim <= _DENSE_ASSEMBLY_MAX_DIM:
                K = sum(
                    (j.rate * (j.op.getH() @ j.op).toarray() for j in self.jumps if j.rate > 0),
                    np.zeros((self.dim, self.dim), dtype=complex),
                )
                self._cache["heff"] = sp.csr_matrix(self.hamiltonian.toarray() - 0.5j * K)
            else:
                K = sp.csr_matrix((self.dim, self.dim), dtype=complex)
                for j in self.jumps:
                    if j.rate > 0:
                        K = K + j.rate * (j.op.getH() @ j.op)
                self._cache["heff"] = (self.hamiltonian - 0.5j * K).tocsr()
        return self._cache["heff"]

    def rate_scale(self) -> float:
        """A rough frequency scale: ``max(|H|) + sum of rates * |c|^2`` (for tolerances)."""
        s = abs(self.hamiltonian).max() if self.hamiltonian.nnz else 0.0
        for j in self.jumps:
            if j.op.nnz:
                s += j.rate * abs(j.op).max() ** 2
        return float(max(s, 1e-300))


def liouvillian(model: Model) -> sp.csr_matrix:
    r"""The Liouvillian :math:`\mathcal L` as a sparse ``(D^2, D^2)`` matrix (column stacking).

    .. math::
        \mathcal L = -i(1\otimes H - H^T\otimes 1)
          + \sum_k\gamma_k\bigl(\bar c_k\otimes c_k - \tfrac12\, 1\otimes c_k^\dagger c_k
          - \tfrac12 (c_k^\dagger c_k)^T\otimes 1\bigr)

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.operators import sigma_minus
    >>> L = liouvillian(Model(jumps=[(sigma_minus(), 1.0)]))
    >>> L.shape
    (4, 4)
    """
    if not isinstance(model, Model):
        raise InvalidParameterError(f"liouvillian takes a Model; got {type(model).__name__}")
    if model.time_dependent:
        raise InvalidParameterError(
            "this model is time-dependent: it has no single Liouvillian; use evolve(...), "
            "periodic_steady_state(...) or model.time_dependent_liouvillian()"
        )
    return _static_liouvillian(model)


def _static_liouvillian(model: Model) -> sp.csr_matrix:
    """The Liouvillian of the static part of ``model`` (all of it for a static model)."""
    if "L" not in model._cache:
        D = model.dim
        heff = model.effective_hamiltonian()
        if D <= _DENSE_ASSEMBLY_MAX_DIM:  # small systems: dense kron is ~5x faster than scipy.sparse.kron
            L = _dense_liouvillian(heff.toarray(), [(j.rate, j.op.toarray()) for j in model.jumps if j.rate > 0])
        elif (local := _local_liouvillian(model, heff)) is not None:
            L = local
        else:
            eye = sp.identity(D, dtype=complex, format="csr")
            terms = [(-1j, sp.kron(eye, heff, format="coo")), (1j, sp.kron(heff.conj(), eye, format="coo"))]
            terms += [(j.rate, sp.kron(j.op.conj(), j.op, format="coo")) for j in model.jumps if j.rate > 0]
            L = _coo_sum(terms, D * D)
        L = sp.csr_matrix(L)
        L.sum_duplicates()
        L.eliminate_zeros()
        model._cache["L"] = L
    return model._cache["L"]


def _coo_sum(terms: list[tuple[complex, sp.coo_matrix]], size: int) -> sp.csr_matrix:
    """``sum(c * T)`` by one COO -> CSR conversion of all triplets: pairwise sparse additions spent
    10.8 s of a 15 s assembly at N = 9 (issue 19); this is one sort-free pass plus a duplicate sum."""
    rows = np.concatenate([t.row for _, t in terms])
    cols = np.concatenate([t.col for _, t in terms])
    data = np.concatenate([c * t.data for c, t in terms])
    L = sp.csr_matrix((data, (rows, cols)), shape=(size, size))
    L.sum_duplicates()
    return L


def _diagonal_heff(model: Model) -> np.ndarray | None:
    r"""The diagonal of :math:`H_\mathrm{eff}`, or ``None`` unless :math:`H_\mathrm{eff}` is exactly diagonal."""
    heff = model.effective_hamiltonian()
    hd = heff.diagonal()
    off = (heff - sp.diags(hd)).tocsr()
    off.eliminate_zeros()
    return None if off.nnz else hd


def _site_superoperators(model: Model) -> dict[int, np.ndarray] | None:
    r"""Per site ``i``, :math:`T_i = \sum_k \gamma_k \bar c_k\otimes c_k` over its jumps (``d^2 x d^2``, index
    ``p = b d + a`` for :math:`|a\rangle\langle b|`); ``None`` unless every jump is local (:meth:`Jump.local`)."""
    dims = tuple(model.dims)
    per_site: dict[int, np.ndarray] = {}
    for j in model.jumps:
        if not j.rate > 0 or j.op.nnz == 0:
            continue
        loc = getattr(j, "_local", None)
        if loc is None or loc[2] != dims:
            return None
        site, c, _ = loc
        per_site[site] = per_site.get(site, 0) + j.rate * np.kron(np.conj(c), c)
    return per_site


def _local_liouvillian(model: Model, heff: sp.csr_matrix) -> sp.csr_matrix | None:
    r"""The Liouvillian from per-site superoperators when every jump is local (:meth:`Jump.local`), else ``None``.

    The column-stacked index ``r = b D + a`` of :math:`|a\rangle\langle b|` has the digits
    :math:`(b_0 \dots b_{N-1}, a_0 \dots a_{N-1})`; the jumps on site :math:`i` contribute
    :math:`T_i = \sum_k \gamma_k \bar c_k\otimes c_k`, a :math:`d^2\times d^2` matrix on the digits
    :math:`(b_i, a_i)`.  Each off-diagonal entry of :math:`T_i` is one constant column offset
    ``delta`` for every row whose digits at site ``i`` match its row; the diagonal (with that of
    :math:`-i(1\otimes H_\mathrm{eff} - \bar H_\mathrm{eff}\otimes 1)`) is one dense vector.  Writing
    the groups in increasing ``delta`` fills the CSR arrays directly in canonical form (sorted, no
    duplicates: different sites change different digits), with no Kronecker product, COO triplets or
    sort; the off-diagonal part of a non-diagonal :math:`H_\mathrm{eff}` is added as one sparse sum.
    Fresh memory is what costs on a loaded machine (page faults), so this touches only the result.
    """
    per_site = _site_superoperators(model)
    if per_site is None:
        return None
    dims = tuple(model.dims)
    D = model.dim
    n = D * D
    hd = heff.diagonal()
    diag = (-1j * (hd[None, :] - hd.conj()[:, None])).reshape(-1)  # diag[b D + a]
    # (delta, value, site shape, (bo, ao)): rows with digits (bo, ao) at the site get col r + delta; shape None: diagonal
    groups: list[tuple[int, Any, tuple[int, ...] | None, tuple[int, int]]] = []
    counts = np.ones(n, np.int64)
    for site, T in per_site.items():
        d = dims[site]
        pre, post = math.prod(dims[:site]), math.prod(dims[site + 1 :])
        shape = (pre, d, post * pre, d, post)  # digits (b_<i, b_i, b_>i a_<i, a_i, a_>i)
        dv, cv = diag.reshape(shape), counts.reshape(shape)
        for p_out, p_in in zip(*np.nonzero(T)):
            (bo, ao), (bi, ai) = divmod(int(p_out), d), divmod(int(p_in), d)
            if p_out == p_in:
                dv[:, bo, :, ao, :] += T[p_out, p_in]
            else:
                groups.append(((bi - bo) * D * post + (ai - ao) * post, T[p_out, p_in], shape, (bo, ao)))
                cv[:, bo, :, ao, :] += 1
    groups.append((0, None, None, (0, 0)))
    groups.sort(key=lambda g: g[0])
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    idx_dtype = np.int32 if max(n, int(indptr[-1])) < 2**31 else np.int64
    indices = np.empty(int(indptr[-1]), idx_dtype)
    data = np.empty(int(indptr[-1]), complex)
    pos = counts  # reused: the next free slot of each row
    pos[:] = indptr[:-1]
    rows = np.arange(n, dtype=idx_dtype)
    for delta, v, gshape, (bo, ao) in groups:
        if gshape is None:  # the diagonal, at delta = 0
            indices[pos] = rows
            data[pos] = diag
            pos += 1
            continue
        pv = pos.reshape(gshape)[:, bo, :, ao, :]
        slots = pv.ravel()
        indices[slots] = rows.reshape(gshape)[:, bo, :, ao, :].ravel() + delta
        data[slots] = v
        pv += 1
    L = sp.csr_matrix((data, indices, indptr.astype(idx_dtype, copy=False)), shape=(n, n))
    L.has_canonical_format = True
    off = (heff - sp.diags(hd)).tocsr()
    off.eliminate_zeros()
    if off.nnz:  # a non-diagonal H_eff: its two Kronecker terms without their diagonals
        eye = sp.identity(D, dtype=complex, format="csr")
        L = L + _coo_sum([(-1j, sp.kron(eye, off, format="coo")), (1j, sp.kron(off.conj(), eye, format="coo"))], n)
    return L


#: largest Hilbert-space dimension whose Liouvillian is assembled densely (a 1024 x 1024 complex array, 16 MB)
_DENSE_ASSEMBLY_MAX_DIM = 32


def _dense_liouvillian(heff: np.ndarray, jumps: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Column-stacking Liouvillian ``-i(1 x Heff - Heff* x 1) + sum_k r_k L_k* x L_k`` as a dense array."""
    eye = np.eye(heff.shape[0])
    L = -1j * (np.kron(eye, heff) - np.kron(heff.conj(), eye))
    for rate, op in jumps:
        L += rate * np.kron(op.conj(), op)
    return L


def _check_args(args: Any) -> dict:
    if args is None:
        return {}
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise InvalidParameterError(f"args must be a dict of keyword arguments for f(t, **args); got {args!r:.60}")
    return dict(args)


def _check_tlist(tlist: Any) -> np.ndarray | None:
    if tlist is None:
        return None
    try:
        t = np.asarray(tlist, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError("tlist must be a 1-D array of times") from None
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)):
        raise InvalidParameterError("tlist must be a 1-D array of at least 2 finite times")
    if np.any(np.diff(t) <= 0):
        raise InvalidParameterError("tlist must be strictly increasing")
    return t


def _split_td_list(h: list) -> tuple[Any, list[tuple[Any, Any]], list[int] | None]:
    """QuTiP list form -> (static sum or None, [(H_k, coefficient spec)], Qobj dims)."""
    static = None
    terms: list[tuple[Any, Any]] = []
    qdims = None
    for k, e in enumerate(h):
        if isinstance(e, (list, tuple)) and not _is_op(e) and len(e) == 2 and (_is_op(e[0]) or np.ndim(e[0]) == 2):
            op, spec = e
        elif _is_op(e) or np.ndim(e) == 2:
            op, spec = e, 1.0
        else:
            raise InvalidParameterError(
                f"hamiltonian list item {k} must be an operator or an [operator, coefficient] pair; got {type(e).__name__}"
            )
        mat, qd = _to_csr(op, f"hamiltonian term {k}")
        qdims = qdims if qdims is not None else qd
        if _is_td_spec(spec):
            terms.append((mat, spec))
        else:
            c = _check_rate_type(spec, f"coefficient of hamiltonian term {k}")
            if static is not None and static.shape != mat.shape:
                raise DimensionError(f"hamiltonian term {k} has shape {mat.shape}; earlier terms {static.shape}")
            static = c * mat if static is None else static + c * mat
    if static is None and terms:
        static = sp.csr_matrix(terms[0][0].shape, dtype=complex)
    return static, terms, qdims


# ----------------------------------------------------------------------------- channels


def _check_site(site: Any, dims: Sequence[int] | None, *, qubit: bool) -> list[int]:
    if dims is None:
        raise DimensionError("pass dims=[d1, d2, ...] (the subsystem dimensions of the register)")
    dims = _check_dims(dims)
    if isinstance(site, (bool, np.bool_)) or not isinstance(site, (int, np.integer)):
        raise DimensionError(f"site must be an integer index; got {site!r}")
    if not 0 <= int(site) < len(dims):
        raise DimensionError(f"site {site} is out of range for {len(dims)} subsystems (valid: 0..{len(dims) - 1})")
    if qubit and dims[int(site)] != 2:
        raise DimensionError(f"this channel acts on qubits, but site {site} has dimension {dims[int(site)]}")
    return dims


def dephasing(*, site: int, rate: float, dims: Sequence[int]) -> list[Jump]:
    r"""Pure dephasing of qubit ``site``: :math:`\frac{\gamma}{2}(\sigma_z\rho\sigma_z - \rho)`.

    Coherences decay at rate :math:`\gamma` (so :math:`T_2 = 1/\gamma`).
    Reference: Hartmann, Dür, Briegel, PRA 74, 052304 (2006), Eq. (1) with B = 0, C = gamma.

    Example
    -------
    >>> [j.rate for j in dephasing(site=0, rate=1.0, dims=[2, 2])]
    [0.5]
    """
    dims = _check_site(site, dims, qubit=True)
    rate = check_nonnegative(rate, "dephasing rate")
    return [Jump.local(sigma_z(), site=site, dims=dims, rate=rate / 2)]


def amplitude_damping(*, site: int, rate: float, dims: Sequence[int]) -> list[Jump]:
    r"""Amplitude damping of qubit ``site``: jump :math:`\sigma_- = |1\rangle\langle 0|` at ``rate``.

    Example
    -------
    >>> amplitude_damping(site=1, rate=2.0, dims=[2, 2])[0].rate
    2.0
    """
    dims = _check_site(site, dims, qubit=True)
    rate = check_nonnegative(rate, "amplitude damping rate")
    return [Jump.local(sigma_minus(), site=site, dims=dims, rate=rate)]


def thermal_jumps(*, site: int, t1: float, t2: float, n_th: float, dims: Sequence[int]) -> list[Jump]:
    r"""Thermal relaxation of qubit ``site`` with measured times ``T1``, ``T2`` and bath population ``n_th``.

    The excited state is ``|0>`` (:math:`\sigma_z = +1`), the ground state ``|1>``.  ``t1`` is
    the relaxation time of the populations, ``t2`` the decay time of the coherences
    (:math:`\langle\sigma_x\rangle`, :math:`\langle\sigma_y\rangle`), both as measured at
    the bath's temperature, and ``n_th`` the mean occupation of the bath mode, so that the
    equilibrium excited population is :math:`p = n_\text{th}/(2n_\text{th}+1)`
    (``n_th = 0``: zero temperature, ``n_th = inf``: :math:`p = 1/2`).  The jumps are

    .. math::
        \sigma_- \text{ at } \frac{n_\text{th}+1}{(2n_\text{th}+1)T_1},\quad
        \sigma_+ \text{ at } \frac{n_\text{th}}{(2n_\text{th}+1)T_1},\quad
        \sigma_z \text{ at } \frac12\Bigl(\frac1{T_2} - \frac1{2T_1}\Bigr),

    so :math:`\langle\sigma_z\rangle \to 2p - 1` at rate :math:`1/T_1` and
    :math:`\langle\sigma_\pm\rangle` decay at :math:`1/T_2` (Bloch equations; Breuer and
    Petruccione, *The Theory of Open Quantum Systems*, Sec. 3.4).  At ``n_th = 0`` the first
    rate is :math:`1/T_1` (spontaneous emission).  Complete positivity needs
    :math:`T_2 \le 2T_1`; ``t1`` or ``t2`` may be ``inf`` (no relaxation, no decoherence).
    ``n_th <= -1`` is a negative-temperature (inverted) bath, :math:`p \in (1/2, 1]`.

    Example
    -------
    >>> [round(j.rate, 3) for j in thermal_jumps(site=0, t1=1.0, t2=1.0, n_th=1.0, dims=[2])]
    [0.667, 0.333, 0.25]
    """
    dims = _check_site(site, dims, qubit=True)
    t1, t2 = (_check_time(t, name) for t, name in ((t1, "t1 (relaxation time T1)"), (t2, "t2 (coherence time T2)")))
    p = _excited_population(n_th)
    g1, g2 = 1.0 / t1, 1.0 / t2
    if g2 < g1 / 2 - 1e-12 * max(1.0, g1):
        raise InvalidParameterError(
            f"thermal relaxation with T2 = {t2:g} > 2 T1 = {2 * t1:g} is not completely positive; use T2 <= 2 T1"
        )
    return [
        Jump.local(sigma_minus(), site=site, dims=dims, rate=(1 - p) * g1),
        Jump.local(sigma_plus(), site=site, dims=dims, rate=p * g1),
        Jump.local(sigma_z(), site=site, dims=dims, rate=max(g2 - g1 / 2, 0.0) / 2),
    ]


def _check_time(t: Any, name: str) -> float:
    """A time ``> 0``; ``inf`` allowed (the process is absent)."""
    try:
        v = float(t)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a real number > 0 (inf: none); got {t!r}") from None
    if not v > 0:  # also refuses NaN
        raise InvalidParameterError(f"{name} must be > 0 (inf: none); got {t!r}")
    return v


def _excited_population(n_th: Any) -> float:
    """Equilibrium excited population ``n/(2n+1)`` of a bath with mean occupation ``n`` (``inf``: 1/2)."""
    try:
        n = float(n_th)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"n_th (bath occupation) must be a real number; got {n_th!r}") from None
    if math.isnan(n) or -1.0 < n < 0.0:
        raise InvalidParameterError(
            f"n_th (bath occupation) must be >= 0, inf, or <= -1 (negative temperature); got {n_th!r}"
        )
    return 0.5 if math.isinf(n) else n / (2 * n + 1)


def reset(*, site: int, rate: float, state: Any, dims: Sequence[int]) -> list[Jump]:
    r"""Reset of subsystem ``site`` to ``state`` at rate ``r``: :math:`r(\sigma\otimes\mathrm{tr}_i\rho - \rho)`.

    Proper Lindblad form: with :math:`\sigma = \sum_a p_a|\phi_a\rangle\langle\phi_a|`
    the jumps are :math:`\sqrt{r p_a}\,|\phi_a\rangle\langle k|` for every
    eigen-component ``a`` and every basis state ``k`` of the site.
    ``state`` is a ket or a density matrix of the site.

    Example
    -------
    >>> import numpy as np
    >>> plus = np.array([1, 1]) / np.sqrt(2)
    >>> len(reset(site=0, rate=8.0, state=plus, dims=[2, 2]))
    2
    """
    dims = _check_site(site, dims, qubit=False)
    d = dims[site]
    rate = check_nonnegative(rate, "reset rate")
    rho = as_density_matrix(state, dim=d, name="reset state", where=f"site {site}")
    p, V = np.linalg.eigh((rho + rho.conj().T) / 2)
    jumps = []
    for a in range(d):
        if p[a] <= 1e-14:
            continue
        for k in range(d):
            local = np.zeros((d, d), dtype=complex)
            local[:, k] = V[:, a]
            jumps.append(Jump.local(local, site=site, dims=dims, rate=rate * p[a]))
    return jumps


def correlated_decay(*, rate_matrix: Any, operators: Sequence[Any]) -> list[Jump]:
    r"""Correlated decay :math:`\sum_{jk}\Gamma_{jk}(s_j\rho s_k^\dagger - \tfrac12\{s_k^\dagger s_j,\rho\})`.

    The positive semidefinite rate matrix is diagonalised,
    :math:`\Gamma = \sum_m\lambda_m u_m u_m^\dagger`, giving jumps
    :math:`A_m = \sum_j (u_m)_j s_j` at rates :math:`\lambda_m`.
    ``operators`` are full-space operators (already embedded).

    Example
    -------
    >>> from opentangle.operators import embed, sigma_minus
    >>> s = [embed(sigma_minus(), i, [2, 2]) for i in range(2)]
    >>> [round(j.rate, 6) for j in correlated_decay(rate_matrix=[[1, 1], [1, 1]], operators=s)]
    [2.0]
    """
    G, _ = as_array(rate_matrix, name="rate_matrix")
    conv = [_to_csr(o, f"operators[{i}]") for i, o in enumerate(operators)]
    ops = [c[0] for c in conv]
    qd_all = {tuple(c[1]) for c in conv if c[1] is not None}
    if len(qd_all) > 1:
        raise DimensionError(f"operators are Qobjs with different dims {sorted(qd_all)}")
    qdims = list(next(iter(qd_all))) if qd_all else None
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] != len(ops):
        raise DimensionError(
            f"rate_matrix must be ({len(ops)}, {len(ops)}) for {len(ops)} operators; got shape {G.shape}"
        )
    if not np.all(np.isfinite(G)):
        raise InvalidParameterError("rate_matrix contains NaN or infinite entries")
    G = G.astype(complex)
    scale = max(1.0, float(np.max(np.abs(G)))) if G.size else 1.0
    if np.max(np.abs(G - G.conj().T), initial=0.0) > 1e-10 * scale:
        raise InvalidParameterError("rate_matrix must be Hermitian (Gamma_jk = conj(Gamma_kj))")
    lam, U = np.linalg.eigh((G + G.conj().T) / 2)
    if lam.size and lam.min() < -1e-10 * scale:
        raise InvalidParameterError(
            f"rate_matrix is not positive semidefinite (smallest eigenvalue {lam.min():.3g}); "
            "the dynamics would not be completely positive"
        )
    shapes = {o.shape for o in ops}
    if len(shapes) > 1:
        raise DimensionError(f"operators have different shapes {sorted(shapes)}")
    jumps = []
    for m in range(lam.size):
        if lam[m] <= 1e-14 * scale:
            continue
        A = sum(U[j, m] * ops[j] for j in range(len(ops)))
        J = Jump(A, float(lam[m]))
        object.__setattr__(J, "_qdims", qdims)
        jumps.append(J)
    return jumps
