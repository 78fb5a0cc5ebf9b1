r"""Named channels and map properties.

.. math::
    \Delta_p(\rho) = (1-p)\rho + p\,\mathrm{tr}(\rho)\frac{1}{d},\qquad
    \mathcal Z_p(\rho) = (1-p)\rho + p\,\mathrm{diag}(\rho),\qquad
    \mathcal A_\gamma(\rho) = K_0\rho K_0^\dagger + K_1\rho K_1^\dagger,

    \mathcal P(\rho) = \sum_{s} p_s\,\sigma_s\rho\sigma_s,\qquad
    \mathcal E_p(\rho) = (1-p)\rho \oplus p\,\mathrm{tr}(\rho)|e\rangle\langle e|,

with :math:`K_0 = |0\rangle\langle0| + \sqrt{1-\gamma}|1\rangle\langle1|`,
:math:`K_1 = \sqrt\gamma|0\rangle\langle1|` (``|1> -> |0>``: ``|0>`` is the ground state
of this map, whatever the Hamiltonian convention).  Reference: Nielsen & Chuang, sec. 8.3;
M. Grassl, T. Beth, T. Pellizzari, PRA 56, 33 (1997) (erasure).

``is_unital``: :math:`\mathcal E(1) = 1`; ``is_hermiticity_preserving``: :math:`J = J^\dagger`;
``is_positive``: :math:`\mathcal E(|a\rangle\langle a|) \ge 0` for all ``a`` (True when the map
is completely positive or completely copositive, False with a found counterexample,
otherwise :class:`~opentangle.errors.ConvergenceError`).
"""

from __future__ import annotations

import itertools
import math
from functools import reduce
from typing import Any

import numpy as np

from opentangle._convert import check_in_range, check_int, check_probability_vector
from opentangle.channels._core import Channel, as_channel, from_choi, from_kraus
from opentangle.errors import ConvergenceError, InvalidChannelError
from opentangle.operators import PAULIS, partial_transpose

__all__ = [
    "amplitude_damping_channel",
    "dephasing_channel",
    "depolarizing_channel",
    "erasure_channel",
    "is_hermiticity_preserving",
    "is_positive",
    "is_unital",
    "pauli_channel",
]


def _dim(d: Any) -> int:
    return check_int(d, "d", minimum=1)


def depolarizing_channel(p: float, d: int = 2) -> Channel:
    r"""Depolarizing channel :math:`(1-p)\rho + p\,\mathrm{tr}(\rho)1/d`, ``0 <= p <= d^2/(d^2-1)`` (CPTP range).

    Example
    -------
    >>> depolarizing_channel(1.0)(np.diag([1.0, 0])).real.tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    d = _dim(d)
    p = check_in_range(p, "p", 0.0, d * d / (d * d - 1) if d > 1 else 1.0)
    phi = np.eye(d).reshape(-1)
    j = (1 - p) * np.outer(phi, phi) + p * np.eye(d * d) / d
    return from_choi(j, dims_in=[d], dims_out=[d], name=f"depolarizing(p={p:g})")


def dephasing_channel(p: float, d: int = 2) -> Channel:
    r"""Dephasing channel :math:`(1-p)\rho + p\,\mathrm{diag}(\rho)` in the computational basis, ``0 <= p <= 1``.

    For qubits it equals :math:`(1-p/2)\rho + (p/2) Z\rho Z`.

    Example
    -------
    >>> dephasing_channel(1.0)(np.full((2, 2), 0.5)).real.tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    d = _dim(d)
    p = check_in_range(p, "p", 0.0, 1.0)
    kraus = [math.sqrt(1 - p) * np.eye(d)] + [math.sqrt(p) * np.diag(np.eye(d)[i]) for i in range(d)]
    return from_kraus(kraus, name=f"dephasing(p={p:g})")


def amplitude_damping_channel(gamma: float) -> Channel:
    r"""Qubit amplitude damping with decay probability ``gamma`` from ``|1>`` to ``|0>``.

    Example
    -------
    >>> amplitude_damping_channel(1.0)(np.diag([0, 1.0])).real.tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    g = check_in_range(gamma, "gamma", 0.0, 1.0)
    k0 = np.array([[1, 0], [0, math.sqrt(1 - g)]])
    k1 = np.array([[0, math.sqrt(g)], [0, 0]])
    return from_kraus([k0, k1], name=f"amplitude damping(gamma={g:g})")


def pauli_channel(probabilities: Any) -> Channel:
    r"""Pauli channel :math:`\sum_s p_s\sigma_s\rho\sigma_s` on ``n`` qubits, ``p`` of length ``4^n``.

    Strings are ordered ``I, X, Y, Z`` per qubit, the first qubit slowest (``p[1]`` is ``I...IX``).

    Example
    -------
    >>> pauli_channel([0.5, 0.5, 0, 0])(np.diag([1.0, 0])).real.round(12).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    p = check_probability_vector(probabilities, "probabilities")
    n = round(math.log(len(p), 4))
    if 4**n != len(p) or n < 1:
        raise InvalidChannelError(f"a Pauli channel needs 4^n probabilities; got {len(p)}")
    labels = ["I", "X", "Y", "Z"]
    ops = [reduce(np.kron, [PAULIS[c] for c in s]) for s in itertools.product(labels, repeat=n)]
    kraus = [math.sqrt(w) * o for w, o in zip(p, ops) if w > 0]
    return from_kraus(kraus, dims_in=[2] * n, dims_out=[2] * n, name="pauli")


def erasure_channel(p: float, d: int = 2) -> Channel:
    r"""Erasure channel: keeps the state with probability ``1-p``, else outputs the flag ``|d>`` (output dimension ``d+1``).

    Example
    -------
    >>> erasure_channel(0.25)(np.diag([1.0, 0])).real.diagonal().round(12).tolist()
    [0.75, 0.0, 0.25]
    """
    d = _dim(d)
    p = check_in_range(p, "p", 0.0, 1.0)
    embed = np.vstack([np.eye(d), np.zeros((1, d))])
    flag = [np.outer(np.eye(d + 1)[d], np.eye(d)[i]) for i in range(d)]
    kraus = [math.sqrt(1 - p) * embed] + [math.sqrt(p) * f for f in flag]
    return from_kraus(kraus, dims_in=[d], dims_out=[d + 1], name=f"erasure(p={p:g})")


def is_unital(channel: Channel, *, atol: float = 1e-9) -> bool:
    r"""True when :math:`\mathcal E(1) = 1` (needs ``d_in == d_out``).

    Example
    -------
    >>> is_unital(depolarizing_channel(0.3)), is_unital(amplitude_damping_channel(0.3))
    (True, False)
    """
    ch = as_channel(channel)
    if ch.d_in != ch.d_out:
        return False
    out = ch(np.eye(ch.d_in), state=False)
    return bool(np.abs(out - np.eye(ch.d_out)).max() <= atol)


def is_hermiticity_preserving(channel: Channel, *, atol: float = 1e-9) -> bool:
    r"""True when the Choi matrix is Hermitian, i.e. :math:`\mathcal E(X^\dagger) = \mathcal E(X)^\dagger`.

    Example
    -------
    >>> is_hermiticity_preserving(dephasing_channel(0.5))
    True
    """
    ch = as_channel(channel)
    return bool(np.abs(ch.choi - ch.choi.conj().T).max() <= atol)


def is_positive(channel: Channel, *, atol: float = 1e-9, starts: int = 20, seed: int = 0) -> bool:
    r"""True when the map sends every positive operator to a positive one.

    Decided exactly when the map is completely positive (:math:`J \ge 0`) or completely
    copositive (:math:`J^{T_{in}} \ge 0`, e.g. the transpose and reduction maps);
    False when a seeded search finds :math:`|a\rangle` with :math:`\lambda_{\min}\mathcal E(|a\rangle\langle a|) < -\mathrm{atol}`.
    Otherwise raises :class:`ConvergenceError` (positivity is hard to certify in general).

    Example
    -------
    >>> from opentangle.channels import from_function
    >>> transpose = from_function(lambda x: np.swapaxes(x, -1, -2), dims_in=2, dims_out=2, check=False)
    >>> is_positive(transpose)
    True
    """
    ch = as_channel(channel)
    if not is_hermiticity_preserving(ch, atol=atol):
        return False
    j = (ch.choi + ch.choi.conj().T) / 2
    dims = [ch.d_in, ch.d_out]
    if np.linalg.eigvalsh(j)[0] >= -atol or np.linalg.eigvalsh(partial_transpose(j, [0], dims))[0] >= -atol:
        return True
    rng = np.random.default_rng(seed)
    j4 = j.reshape(ch.d_in, ch.d_out, ch.d_in, ch.d_out)

    def worst(a: np.ndarray) -> tuple[float, np.ndarray]:
        a = a / np.linalg.norm(a)
        out = np.einsum("i,iajb,j->ab", a, j4, a.conj())  # E(|a><a|) = sum_ij a_i a_j^* E(|i><j|)
        ev, v = np.linalg.eigh((out + out.conj().T) / 2)
        return float(ev[0]), v[:, 0]

    for _ in range(check_int(starts, "starts", minimum=1)):
        a = rng.standard_normal(ch.d_in) + 1j * rng.standard_normal(ch.d_in)
        for _ in range(200):  # alternating minimisation: best output vector, then best input vector
            val, b = worst(a)
            if val < -atol:
                return False
            m = np.einsum("a,iajb,b->ij", b.conj(), j4, b)  # <b|E(|i><j|)|b>
            _, v = np.linalg.eigh((m.T + m.T.conj().T) / 2)
            a = v[:, 0]
    raise ConvergenceError(
        "positivity undecided: the map is neither completely positive nor completely copositive and "
        f"{starts} seeded searches found no negative output; increase starts= or check decomposability with an SDP"
    )
