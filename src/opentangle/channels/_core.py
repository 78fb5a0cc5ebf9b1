"""Quantum channels as Choi matrices, with Kraus conversion, composition and tensor products.

Conventions
-----------
Choi matrix (input first):

.. math:: J(\\mathcal E) = \\sum_{ij} |i\\rangle\\langle j| \\otimes \\mathcal E(|i\\rangle\\langle j|),

so ``J`` has shape ``(d_in d_out, d_in d_out)``, ``tr_out J = 1`` for a trace
preserving map and ``J >= 0`` for a completely positive one.  A Kraus operator
``K`` has shape ``(d_out, d_in)``.  The superoperator acts on row-major
vectorisations, ``vec(X) = X.reshape(-1)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from opentangle._convert import as_array, as_operator, check_probability_vector
from opentangle.errors import DimensionError, InvalidChannelError
from opentangle.operators import partial_trace
from opentangle.states import validate_density_matrix

__all__ = [
    "Channel",
    "apply_channel",
    "as_channel",
    "check_cptp",
    "choi_to_kraus",
    "compose",
    "from_choi",
    "from_function",
    "from_kraus",
    "identity_channel",
    "is_completely_positive",
    "is_cptp",
    "is_local_thermalization",
    "is_trace_preserving",
    "kraus_to_choi",
    "local_thermalization_error",
    "mixture",
    "replacement_channel",
    "tensor",
    "unitary_channel",
]


def _dims(dims: Sequence[int] | int | None, total: int, what: str) -> tuple[int, ...]:
    if dims is None:
        return (total,)
    if isinstance(dims, (str, bytes)) or not (np.isscalar(dims) or hasattr(dims, "__iter__")):
        raise DimensionError(f"{what} must be a positive integer or a sequence of them; got {dims!r}")
    if isinstance(dims, (int, np.integer)):
        dims = [int(dims)]
    try:
        out = tuple(int(d) for d in dims)
    except (TypeError, ValueError) as exc:
        raise DimensionError(f"{what} must be a sequence of positive integers; got {dims!r}") from exc
    if not out or any(d < 1 for d in out) or math.prod(out) != total:
        raise DimensionError(f"{what} {list(out)} must be positive and multiply to {total}")
    return out


def _dim_list(dims: Any, what: str) -> tuple[int, ...]:
    """Subsystem dims from an integer or a sequence of positive integers (typed error otherwise)."""
    from opentangle._convert import check_dims

    return tuple(check_dims([dims] if np.isscalar(dims) else dims, what))


@dataclass(frozen=True, eq=False, repr=False)
class Channel:
    """A linear map stored as its Choi matrix (see the module docstring for conventions).

    Build one with :func:`from_kraus`, :func:`from_choi` or :func:`from_function`;
    call it on a state (or a batch ``(..., d_in, d_in)``) to apply it.

    Example
    -------
    >>> import numpy as np
    >>> E = from_kraus([np.sqrt(0.5) * np.eye(2), np.sqrt(0.5) * np.diag([1, -1])])  # dephasing
    >>> E(np.full((2, 2), 0.5)).real.round(3).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """

    choi: np.ndarray
    dims_in: tuple[int, ...]
    dims_out: tuple[int, ...]
    name: str = ""

    @property
    def d_in(self) -> int:
        return math.prod(self.dims_in)

    @property
    def d_out(self) -> int:
        return math.prod(self.dims_out)

    def __call__(self, rho: Any, *, state: bool = True) -> np.ndarray:
        return apply_channel(self, rho, state=state)

    def __matmul__(self, other: Channel) -> Channel:
        """``E2 @ E1`` is the composition ``E2 o E1`` (apply ``E1`` first)."""
        return compose(self, other)

    def superoperator(self) -> np.ndarray:
        """Matrix ``S`` with ``vec(E(X)) = S vec(X)`` for row-major ``vec`` (a copy)."""
        return self._superop.copy()

    @cached_property
    def _superop(self) -> np.ndarray:
        j4 = self.choi.reshape(self.d_in, self.d_out, self.d_in, self.d_out)
        return np.ascontiguousarray(j4.transpose(1, 3, 0, 2).reshape(self.d_out**2, self.d_in**2))

    def kraus(self, *, atol: float = 1e-12) -> list[np.ndarray]:
        """Kraus operators (minimal set, from the eigendecomposition of the Choi matrix)."""
        return choi_to_kraus(self.choi, d_in=self.d_in, d_out=self.d_out, atol=atol)

    @property
    def kraus_rank(self) -> int:
        ev = np.linalg.eigvalsh((self.choi + self.choi.conj().T) / 2)
        return int(np.sum(ev > 1e-12 * max(1.0, float(np.abs(ev).max()))))

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Channel({label}dims_in={list(self.dims_in)}, dims_out={list(self.dims_out)}, "
            f"kraus_rank={self.kraus_rank}, CP={is_completely_positive(self)}, TP={is_trace_preserving(self)})"
        )


def _kraus_list(kraus: Any) -> list[Any]:
    if isinstance(kraus, np.ndarray) and kraus.ndim == 2:
        raise InvalidChannelError("Kraus operators must be given as a list of matrices; wrap a single one as [K]")
    if isinstance(kraus, (str, bytes)) or not hasattr(kraus, "__iter__"):
        raise InvalidChannelError(f"Kraus operators must be a list of matrices; got {type(kraus).__name__}")
    return list(kraus)


def kraus_to_choi(kraus: Sequence[Any]) -> np.ndarray:
    r"""Choi matrix :math:`\sum_k |K_k\rangle\rangle\langle\langle K_k|` of Kraus operators ``(d_out, d_in)``."""
    kraus = _kraus_list(kraus)
    ops = [as_array(k, name="Kraus operator")[0] for k in kraus]
    if not ops:
        raise InvalidChannelError("need at least one Kraus operator")
    shapes = {k.shape for k in ops}
    if len(shapes) != 1 or ops[0].ndim != 2:
        raise DimensionError(f"Kraus operators must be matrices of one common shape (d_out, d_in); got {shapes}")
    stack = np.stack(ops).astype(complex)
    if not np.all(np.isfinite(stack)):
        raise InvalidChannelError("Kraus operators contain NaN or infinite entries")
    # |K>> has entries K[a, i] at index (i, a)
    vecs = stack.transpose(0, 2, 1).reshape(len(ops), -1)
    return vecs.T @ vecs.conj()


def choi_to_kraus(choi: Any, *, d_in: int, d_out: int, atol: float = 1e-12) -> list[np.ndarray]:
    """Kraus operators of a completely positive map from its Choi matrix.

    Raises :class:`InvalidChannelError` when the Choi matrix has a negative
    eigenvalue below ``-atol`` (the map is not CP, so it has no Kraus form).
    """
    j, _ = as_operator(choi, name="Choi matrix")
    if j.shape[0] != d_in * d_out:
        raise DimensionError(f"Choi matrix has size {j.shape[0]}, expected d_in*d_out = {d_in * d_out}")
    ev, vecs = np.linalg.eigh((j + j.conj().T) / 2)
    scale = max(1.0, float(np.abs(ev).max()))
    if ev.min() < -max(atol, 1e-10) * scale:
        raise InvalidChannelError(
            f"the map is not completely positive (Choi eigenvalue {ev.min():.3g}); it has no Kraus representation"
        )
    keep = ev > atol * scale
    return [np.sqrt(l) * v.reshape(d_in, d_out).T for l, v in zip(ev[keep], vecs[:, keep].T)]


def from_kraus(
    kraus: Sequence[Any],
    *,
    dims_in: Sequence[int] | None = None,
    dims_out: Sequence[int] | None = None,
    name: str = "",
    check: bool = True,
) -> Channel:
    r"""Channel :math:`\rho \mapsto \sum_k K_k \rho K_k^\dagger`; checks trace preservation when ``check``."""
    kraus = _kraus_list(kraus)
    j = kraus_to_choi(kraus)
    d_out, d_in = np.shape(as_array(kraus[0])[0])
    ch = Channel(j, _dims(dims_in, d_in, "dims_in"), _dims(dims_out, d_out, "dims_out"), name)
    if check:
        check_cptp(ch)
    return ch


def from_choi(
    choi: Any,
    *,
    dims_in: Sequence[int] | int,
    dims_out: Sequence[int] | int,
    name: str = "",
    check: bool = True,
) -> Channel:
    """Channel from a Choi matrix (input first); with ``check`` it must be CPTP."""
    j, _ = as_operator(choi, name="Choi matrix")
    di = _dim_list(dims_in, "dims_in")
    do = _dim_list(dims_out, "dims_out")
    if j.shape[0] != math.prod(di) * math.prod(do):
        raise DimensionError(
            f"Choi matrix has size {j.shape[0]} but dims_in {list(di)} and dims_out {list(do)} need "
            f"{math.prod(di) * math.prod(do)}"
        )
    ch = Channel(j, di, do, name)
    if check:
        check_cptp(ch)
    return ch


def from_function(
    fn: Callable[[np.ndarray], np.ndarray],
    *,
    dims_in: Sequence[int] | int,
    dims_out: Sequence[int] | int,
    name: str = "",
    check: bool = True,
) -> Channel:
    """Channel of a linear map given as a function that accepts a batch ``(B, d_in, d_in)``.

    The function is evaluated once on all matrix units ``|i><j|``.
    """
    if not callable(fn):
        raise InvalidChannelError(f"fn must be a function of a batch of matrices; got {type(fn).__name__}")
    di = _dim_list(dims_in, "dims_in")
    do = _dim_list(dims_out, "dims_out")
    n, m = math.prod(di), math.prod(do)
    units = np.eye(n * n, dtype=complex).reshape(n * n, n, n)
    images = np.asarray(fn(units))
    if images.shape != (n * n, m, m):
        raise DimensionError(f"fn returned shape {images.shape}, expected {(n * n, m, m)}")
    j = images.reshape(n, n, m, m).transpose(0, 2, 1, 3).reshape(n * m, n * m)
    ch = Channel(j, di, do, name)
    if check:
        check_cptp(ch)
    return ch


def as_channel(channel: Any, name: str = "channel") -> Channel:
    """``channel`` if it is a :class:`Channel`, else :class:`InvalidChannelError` saying how to build one."""
    if isinstance(channel, Channel):
        return channel
    hint = ""
    if isinstance(channel, (list, tuple)):
        hint = " (a list looks like Kraus operators: wrap it with from_kraus(...))"
    elif isinstance(channel, np.ndarray) and channel.ndim == 2:
        hint = " (a matrix looks like a Choi matrix: wrap it with from_choi(..., dims_in=..., dims_out=...))"
    raise InvalidChannelError(
        f"{name} must be an opentangle Channel; got {type(channel).__name__}{hint}. "
        "Build one with from_kraus, from_choi or from_function"
    )


def apply_channel(channel: Channel, rho: Any, *, state: bool = True) -> np.ndarray:
    r""":math:`\mathcal E(\rho) = \mathrm{tr}_{in}[(\rho^T \otimes 1) J]` for a state or a batch ``(..., d_in, d_in)``.

    ``rho`` must be a density matrix (checked) unless ``state=False``, which applies the linear
    extension to any operator (matrix units, observables in the Schrödinger picture).
    """
    channel = as_channel(channel)
    if state:
        arr = validate_density_matrix(rho, name="rho", batch=True)
    else:
        arr, _ = as_operator(rho, name="rho", batch=True)
    if arr.shape[-1] != channel.d_in:
        raise DimensionError(f"rho has dimension {arr.shape[-1]} but the channel takes dimension {channel.d_in}")
    vec = arr.reshape(*arr.shape[:-2], channel.d_in**2)
    return (vec @ channel._superop.T).reshape(*arr.shape[:-2], channel.d_out, channel.d_out)


def compose(outer: Channel, inner: Channel) -> Channel:
    r"""The composition :math:`\mathcal E_{outer}\circ\mathcal E_{inner}` (``inner`` acts first)."""
    outer, inner = as_channel(outer, "outer"), as_channel(inner, "inner")
    if inner.d_out != outer.d_in:
        raise DimensionError(
            f"cannot compose: the inner channel outputs dimension {inner.d_out}, the outer takes {outer.d_in}"
        )
    s = outer._superop @ inner._superop
    n, m = inner.d_in, outer.d_out
    j = s.reshape(m, m, n, n).transpose(2, 0, 3, 1).reshape(n * m, n * m)
    name = f"{outer.name} o {inner.name}" if outer.name and inner.name else ""
    return Channel(j, inner.dims_in, outer.dims_out, name)


def tensor(*channels: Channel) -> Channel:
    r"""Tensor product :math:`\mathcal E_1 \otimes \mathcal E_2 \otimes \cdots` (subsystems in order)."""
    if not channels:
        raise InvalidChannelError("tensor needs at least one channel")
    channels = tuple(as_channel(c, f"channel {i}") for i, c in enumerate(channels))
    out = channels[0]
    for ch in channels[1:]:
        a = out.choi.reshape(out.d_in, out.d_out, out.d_in, out.d_out)
        b = ch.choi.reshape(ch.d_in, ch.d_out, ch.d_in, ch.d_out)
        n, m = out.d_in * ch.d_in, out.d_out * ch.d_out
        j = np.einsum("iajb,kcld->ikacjlbd", a, b).reshape(n * m, n * m)
        name = f"{out.name} (x) {ch.name}" if out.name and ch.name else ""
        out = Channel(j, out.dims_in + ch.dims_in, out.dims_out + ch.dims_out, name)
    return out


def mixture(channels: Sequence[Channel], probabilities: Any, *, name: str = "") -> Channel:
    r"""Convex combination :math:`\sum_l p_l \mathcal E_l` (a shared random coin picks the branch)."""
    p = check_probability_vector(probabilities, "probabilities")
    if isinstance(channels, Channel) or not hasattr(channels, "__iter__"):
        raise InvalidChannelError("channels must be a list of Channel objects")
    channels = [as_channel(c, f"channels[{i}]") for i, c in enumerate(channels)]
    if len(p) != len(channels) or not channels:
        raise DimensionError(f"got {len(channels)} channels but {len(p)} probabilities")
    c0 = channels[0]
    for ch in channels[1:]:
        if ch.choi.shape != c0.choi.shape or ch.d_in != c0.d_in:
            raise DimensionError("all channels in a mixture must have the same input and output dimensions")
    j = sum(pl * ch.choi for pl, ch in zip(p, channels))
    return Channel(j, c0.dims_in, c0.dims_out, name)


def identity_channel(d: int | Sequence[int]) -> Channel:
    """The identity channel on dimension ``d`` (or on subsystems ``d = [d1, d2, ...]``)."""
    dims = _dim_list(d, "d")
    return from_kraus([np.eye(math.prod(dims))], dims_in=dims, dims_out=dims, name="id", check=False)


def unitary_channel(u: Any, *, dims: Sequence[int] | None = None, atol: float = 1e-10) -> Channel:
    r""":math:`\rho \mapsto U\rho U^\dagger`; raises :class:`InvalidChannelError` if ``U`` is not unitary."""
    m, _ = as_operator(u, name="U")
    if not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=atol):
        raise InvalidChannelError("U is not unitary (U^dag U != 1)")
    return from_kraus([m], dims_in=dims, dims_out=dims, name="U", check=False)


def replacement_channel(sigma: Any, *, d_in: int | Sequence[int], name: str = "") -> Channel:
    r"""Replacement (preparation) channel :math:`X \mapsto \mathrm{tr}(X)\,\sigma`; Choi :math:`1 \otimes \sigma`."""
    s = validate_density_matrix(sigma, name="sigma")
    di = _dim_list(d_in, "d_in")
    j = np.kron(np.eye(math.prod(di)), s)
    return Channel(j, di, (s.shape[0],), name or "replace")


def _choi_errors(channel: Channel) -> tuple[float, float]:
    j = as_channel(channel).choi
    herm = float(np.max(np.abs(j - j.conj().T)))
    emin = float(np.linalg.eigvalsh((j + j.conj().T) / 2).min())
    return herm, emin


def is_completely_positive(channel: Channel, *, atol: float = 1e-9) -> bool:
    """True when the Choi matrix is Hermitian and positive semidefinite within ``atol``."""
    herm, emin = _choi_errors(channel)
    return herm <= atol and emin >= -atol


def _tp_error(channel: Channel) -> float:
    channel = as_channel(channel)
    t = partial_trace(channel.choi, [0], [channel.d_in, channel.d_out])
    return float(np.max(np.abs(t - np.eye(channel.d_in))))


def is_trace_preserving(channel: Channel, *, atol: float = 1e-9) -> bool:
    r"""True when :math:`\mathrm{tr}_{out} J = 1_{in}` within ``atol``."""
    return _tp_error(channel) <= atol


def is_cptp(channel: Channel, *, atol: float = 1e-9) -> bool:
    """Completely positive and trace preserving."""
    return is_completely_positive(channel, atol=atol) and is_trace_preserving(channel, atol=atol)


def check_cptp(channel: Channel, *, atol: float = 1e-9) -> Channel:
    """Return ``channel`` if it is CPTP, else raise :class:`InvalidChannelError` saying which property fails."""
    herm, emin = _choi_errors(channel)
    if herm > atol:
        raise InvalidChannelError(
            f"the map is not Hermiticity preserving (max |J - J^dag| = {herm:.3g}); check the Choi matrix"
        )
    if emin < -atol:
        raise InvalidChannelError(f"the map is not completely positive: its Choi matrix has eigenvalue {emin:.3g} < 0")
    tp = _tp_error(channel)
    if tp > atol:
        raise InvalidChannelError(
            f"the map is not trace preserving (max |tr_out J - 1| = {tp:.3g}); Kraus operators must satisfy "
            "sum_k K_k^dag K_k = 1"
        )
    return channel


def local_thermalization_error(channel: Channel, taus: Sequence[Any]) -> float:
    r"""Largest deviation :math:`\max_k \| \mathrm{tr}_{out\setminus k} J - 1_{in}\otimes\tau_k \|_{\max}`.

    Computed on the Choi matrix, so it bounds the marginal error for every
    input at once: ``tr_{not k} E(X) = tr(X) tau_k`` for all ``X`` exactly
    when the error is zero.  ``taus`` lists one state per output subsystem.
    """
    channel = as_channel(channel)
    if len(taus) != len(channel.dims_out):
        raise DimensionError(
            f"give one thermal state per output subsystem: the channel has {len(channel.dims_out)}, got {len(taus)}"
        )
    dims = [channel.d_in, *channel.dims_out]
    err = 0.0
    for k, tau in enumerate(taus):
        t = validate_density_matrix(tau, name=f"tau[{k}]")
        if t.shape[0] != channel.dims_out[k]:
            raise DimensionError(f"tau[{k}] has dimension {t.shape[0]}, output subsystem {k} has {channel.dims_out[k]}")
        marg = partial_trace(channel.choi, [0, k + 1], dims)
        err = max(err, float(np.max(np.abs(marg - np.kron(np.eye(channel.d_in), t)))))
    return err


def is_local_thermalization(channel: Channel, taus: Sequence[Any], *, atol: float = 1e-10) -> bool:
    """True when ``channel`` is CPTP and every output marginal equals ``taus[k]`` for all inputs.

    Checked exactly on the Choi matrix (no sampling).  Note that this does
    not check the LOSR structure; channels built by :mod:`opentangle.channels`
    from twirls, local maps and mixtures have it by construction.
    """
    return is_cptp(channel, atol=max(atol, 1e-9)) and local_thermalization_error(channel, taus) <= atol
