"""Density matrices: validation and standard states.

Every function returns NumPy arrays; ``Qobj`` inputs are accepted and their
subsystem dims are read.  Use :func:`opentangle.to_qutip` to go back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import (
    as_array,
    check_dims,
    check_in_range,
    check_int,
    check_probability_vector,
    check_real,
)
from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError

__all__ = [
    "BELL_LABELS",
    "as_density_matrix",
    "bell_state",
    "dicke_state",
    "generalized_bell_state",
    "ghz_state",
    "is_density_matrix",
    "isotropic_state",
    "ket2dm",
    "maximally_entangled_state",
    "multipartite_werner_state",
    "random_density_matrix",
    "random_pure_state",
    "spin_coherent_state",
    "thermal_populations",
    "thermal_state",
    "validate_density_matrix",
    "w_state",
    "werner_state",
]

BELL_LABELS = ("phi+", "phi-", "psi+", "psi-")


def ket2dm(psi: Any) -> np.ndarray:
    r""":math:`|\psi\rangle\langle\psi|` for a ket (or a batch of kets ``(..., D)``)."""
    v, _ = as_array(psi, name="psi")
    if v.ndim < 1 or v.shape[-1] == 0:
        raise DimensionError(f"psi must be a ket of shape (D,) or a batch (..., D); got shape {v.shape}")
    v = v.astype(complex)
    if not np.all(np.isfinite(v)):
        raise InvalidStateError("psi contains NaN or infinite entries; check how the ket was built")
    if np.any(np.linalg.norm(v, axis=-1) == 0):
        raise InvalidStateError("psi is the zero vector, which is not a state; pass a non-zero ket")
    return v[..., :, None] * v[..., None, :].conj()


def _density_problem(rho: np.ndarray, atol: float) -> str | None:
    if rho.ndim < 2 or rho.shape[-1] != rho.shape[-2]:
        return f"it must be a square matrix, got shape {rho.shape}"
    if rho.size == 0:
        return f"it is empty (shape {rho.shape}); pass at least one non-empty matrix"
    if not np.all(np.isfinite(rho)):
        return "it contains NaN or infinite entries"
    herm_err = np.max(np.abs(rho - np.swapaxes(rho.conj(), -1, -2)))
    if herm_err > atol:
        return f"it is not Hermitian (max |rho - rho^dag| = {herm_err:.3g}); use (rho + rho^dag)/2 if this is round-off"
    tr = np.trace(rho, axis1=-2, axis2=-1)
    tr_err = np.max(np.abs(tr - 1))
    if tr_err > atol:
        return f"its trace is {np.ravel(tr)[np.argmax(np.abs(np.ravel(tr) - 1))].real:.12g}, not 1; divide by the trace"
    eig_min = float(np.min(np.linalg.eigvalsh((rho + np.swapaxes(rho.conj(), -1, -2)) / 2)))
    if eig_min < -atol:
        return f"it is not positive semidefinite (smallest eigenvalue {eig_min:.3g})"
    return None


def is_density_matrix(rho: Any, *, atol: float = 1e-8) -> bool:
    """True when ``rho`` is Hermitian, positive semidefinite and of unit trace within ``atol``.

    Example
    -------
    >>> is_density_matrix(np.eye(2) / 2)
    True
    >>> is_density_matrix(np.eye(2))
    False
    """
    try:
        arr, _ = as_array(rho)
    except DimensionError:
        return False
    if not np.issubdtype(arr.dtype, np.number):
        return False
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        return False
    return _density_problem(arr.astype(complex), _check_atol(atol)) is None


def _check_atol(atol: Any) -> float:
    v = check_real(atol, "atol")
    if v < 0:
        raise InvalidParameterError(f"atol must be a finite number >= 0; got {atol!r}")
    return v


def validate_density_matrix(
    rho: Any, *, dims: Sequence[int] | None = None, atol: float = 1e-8, name: str = "rho", batch: bool = False
) -> np.ndarray:
    """Return ``rho`` as a complex array, or raise :class:`InvalidStateError`.

    With ``batch=True`` a leading batch axis ``(..., D, D)`` is allowed.
    """
    arr, _ = as_array(rho, name=name)
    if not np.issubdtype(arr.dtype, np.number):
        raise InvalidStateError(f"{name} is not numeric")
    if arr.ndim == 1:
        raise InvalidStateError(
            f"{name} is a vector of length {arr.shape[0]}; pass a density matrix (use ket2dm for a pure state)"
        )
    if arr.ndim != 2 and not batch:
        raise DimensionError(f"{name} must be a square matrix; got shape {arr.shape}")
    if arr.ndim >= 2 and arr.shape[-1] != arr.shape[-2]:
        raise DimensionError(f"{name} must be square; got shape {arr.shape}")
    if arr.ndim < 2:
        raise DimensionError(
            f"{name} must be a square matrix{' or a batch of them' if batch else ''}; got shape {arr.shape}"
        )
    if dims is not None:
        dims = check_dims(dims)
    atol = _check_atol(atol)
    arr = arr.astype(complex)
    problem = _density_problem(arr, atol)
    if problem is not None:
        raise InvalidStateError(f"{name} is not a density matrix: {problem}")
    if dims is not None and math.prod(dims) != arr.shape[-1]:
        raise DimensionError(
            f"dims {dims} multiply to {math.prod(dims)}, but {name} has dimension {arr.shape[-1]}; "
            "fix dims so that their product equals the matrix size"
        )
    return arr


def as_density_matrix(state: Any, *, dim: int, name: str = "state", where: str = "the model") -> np.ndarray:
    """A validated ``(dim, dim)`` density matrix from a ket (column or row) or a density matrix.

    Kets must be normalised; the dimension must equal ``dim`` (``where`` names what fixes it).
    """
    arr, _ = as_array(state, name=name)
    if arr.ndim == 2 and 1 in arr.shape and arr.shape != (1, 1):
        arr = arr.reshape(-1)
    if arr.ndim == 1:
        if arr.shape[0] != dim:
            raise DimensionError(f"{name} has dimension {arr.shape[0]} but {where} has dimension {dim}")
        nrm = np.linalg.norm(arr)
        if not np.isfinite(nrm) or abs(nrm - 1) > 1e-8:
            raise InvalidParameterError(f"{name} ket must be normalised; got norm {nrm:.12g}")
        arr = ket2dm(arr)
    rho = validate_density_matrix(arr, name=name)
    if rho.shape[0] != dim:
        raise DimensionError(f"{name} has dimension {rho.shape[0]} but {where} has dimension {dim}")
    return rho


def bell_state(which: str = "phi+", *, ket: bool = False) -> np.ndarray:
    r"""One of the four Bell states.

    ``phi± = (|00> ± |11>)/√2``, ``psi± = (|01> ± |10>)/√2``.

    Example
    -------
    >>> rho = bell_state("psi-")
    >>> round(float(np.trace(rho).real), 12)
    1.0
    """
    key = str(which).lower().replace("_plus", "+").replace("_minus", "-")
    vecs = {
        "phi+": [1, 0, 0, 1],
        "phi-": [1, 0, 0, -1],
        "psi+": [0, 1, 1, 0],
        "psi-": [0, 1, -1, 0],
    }
    if key not in vecs:
        raise InvalidParameterError(f"unknown Bell state {which!r}; choose one of {BELL_LABELS}")
    v = np.array(vecs[key], dtype=complex) / np.sqrt(2)
    return v if ket else ket2dm(v)


def maximally_entangled_state(d: int, *, ket: bool = False) -> np.ndarray:
    r""":math:`|\Phi^+_d\rangle = \sum_i |ii\rangle/\sqrt d`."""
    d = _positive_int(d, "d")
    v = np.zeros(d * d, dtype=complex)
    v[:: d + 1] = 1 / np.sqrt(d)
    return v if ket else ket2dm(v)


def ghz_state(n: int, d: int = 2, *, ket: bool = False, coefficients: Any = None) -> np.ndarray:
    r""":math:`|GHZ\rangle = \sum_{i<d} c_i|i\rangle^{\otimes n}`, :math:`c_i = 1/\sqrt d` unless ``coefficients`` given.

    ``coefficients`` (length ``d``, complex allowed) are normalised, e.g. ``[cos a, sin a]``
    for the generalised GHZ state :math:`\cos a|0\dots0\rangle + \sin a|1\dots1\rangle`.

    Example
    -------
    >>> ghz_state(2, ket=True, coefficients=[3, 4]).real.round(2).tolist()
    [0.6, 0.0, 0.0, 0.8]
    """
    n = _positive_int(n, "n")
    d = _positive_int(d, "d")
    dim = _checked_dim(d, n)
    c = np.full(d, 1 / np.sqrt(d), dtype=complex) if coefficients is None else _amplitudes(coefficients, d)
    v = np.zeros(dim, dtype=complex)
    step = sum(d**k for k in range(n))
    v[np.arange(d) * step] = c
    return v if ket else ket2dm(v)


def _checked_dim(d: int, n: int, limit: int = 2**26) -> int:
    if n * math.log2(max(d, 2)) > math.log2(limit):
        raise InvalidParameterError(f"d^n = {d}^{n} exceeds the dense-vector limit {limit}; use fewer subsystems")
    return d**n


def _amplitudes(coefficients: Any, d: int) -> np.ndarray:
    try:
        c = np.asarray(coefficients, dtype=complex).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"coefficients must be {d} numbers; got {coefficients!r:.60}") from exc
    if c.shape != (d,) or not np.all(np.isfinite(c)):
        raise InvalidParameterError(f"coefficients must be {d} finite numbers; got {coefficients!r:.60}")
    nrm = np.linalg.norm(c)
    if nrm == 0:
        raise InvalidParameterError("coefficients are all zero; give at least one non-zero amplitude")
    return c / nrm


def dicke_state(n: int, k: int, *, ket: bool = False) -> np.ndarray:
    r"""Dicke state :math:`|D_n^k\rangle = \binom nk^{-1/2}\sum_{|x|=k}|x\rangle` of ``n`` qubits with ``k`` ones.

    Reference: R. H. Dicke, Phys. Rev. 93, 99 (1954).

    Example
    -------
    >>> dicke_state(2, 1, ket=True).real.round(4).tolist()
    [0.0, 0.7071, 0.7071, 0.0]
    """
    n = _positive_int(n, "n")
    k = check_int(k, "k", minimum=0)
    if k > n:
        raise InvalidParameterError(f"k must lie in 0..n = 0..{n}; got {k}")
    dim = _checked_dim(2, n)
    idx = np.arange(dim)
    ones = np.zeros(dim, dtype=int)
    for b in range(n):
        ones += (idx >> b) & 1
    v = (ones == k).astype(complex)
    v /= np.sqrt(math.comb(n, k))
    return v if ket else ket2dm(v)


def w_state(n: int, *, ket: bool = False) -> np.ndarray:
    r""":math:`|W_n\rangle = (|10\dots0\rangle + \dots + |0\dots01\rangle)/\sqrt n` (the Dicke state ``k = 1``).

    Reference: W. Dür, G. Vidal, J. I. Cirac, PRA 62, 062314 (2000).

    Example
    -------
    >>> np.flatnonzero(w_state(3, ket=True)).tolist()
    [1, 2, 4]
    """
    return dicke_state(n, 1, ket=ket)


def generalized_bell_state(a: int, b: int, d: int = 2, *, ket: bool = False) -> np.ndarray:
    r"""Generalised Bell state :math:`|\Phi_{ab}\rangle = (X^a Z^b\otimes 1)|\Phi^+_d\rangle`.

    :math:`X|j\rangle = |j+1\rangle`, :math:`Z|j\rangle = \omega^j|j\rangle`, :math:`\omega = e^{2\pi i/d}`;
    the ``d^2`` states form an orthonormal basis.  For ``d = 2``: ``(0,0)`` phi+, ``(0,1)`` phi-,
    ``(1,0)`` psi+, ``(1,1)`` psi- up to a global phase.  Reference: C. H. Bennett et al., PRL 70, 1895 (1993).

    Example
    -------
    >>> bool(np.allclose(generalized_bell_state(1, 1), bell_state("psi-")))
    True
    """
    d = _positive_int(d, "d", minimum=2)
    a, b = check_int(a, "a", minimum=0) % d, check_int(b, "b", minimum=0) % d
    j = np.arange(d)
    v = np.zeros((d, d), dtype=complex)
    v[(j + a) % d, j] = np.exp(2j * np.pi * b * j / d) / np.sqrt(d)
    vec = v.reshape(-1)
    return vec if ket else ket2dm(vec)


def multipartite_werner_state(n: int, p: float, d: int = 2) -> np.ndarray:
    r"""GHZ-Werner state :math:`p\,|GHZ\rangle\langle GHZ| + (1-p)\,1/d^n` of ``n`` parties.

    For qubits it is genuinely multipartite entangled iff :math:`p > (2^{n-1}-1)/(2^n-1)`
    (O. Gühne, M. Seevinck, NJP 12, 053002 (2010)) and NPT across every cut iff
    :math:`p > 1/(1+2^{n-1})` (W. Dür, J. I. Cirac, PRA 61, 042314 (2000)).  ``p`` may be
    negative down to :math:`-1/(d^n-1)`.

    Example
    -------
    >>> round(float(multipartite_werner_state(3, 0.5)[0, 7].real), 12)
    0.25
    """
    n = _positive_int(n, "n", minimum=2)
    d = _positive_int(d, "d", minimum=2)
    dim = _checked_dim(d, n, limit=2**13)
    p = check_real(p, "p")
    if not (-1 / (dim - 1) - 1e-15 <= p <= 1):
        raise InvalidParameterError(f"p must lie in [-1/(d^n-1), 1] = [{-1 / (dim - 1):.6g}, 1]; got {p}")
    return p * ghz_state(n, d) + (1 - p) * np.eye(dim) / dim


def werner_state(p: float, d: int = 2) -> np.ndarray:
    r"""Werner state :math:`p\,P_{as}/\binom d2 + (1-p)\,\mathbb 1/d^2`.

    For ``d = 2`` this is :math:`p|\Psi^-\rangle\langle\Psi^-| + (1-p)\mathbb 1/4`,
    entangled iff ``p > 1/3``; in general entangled iff ``p > 1/(d+1)``.
    ``p`` may go down to the smallest value that keeps the state positive.
    """
    d = _positive_int(d, "d", minimum=2)
    p = check_real(p, "p")
    swap = np.zeros((d * d, d * d))
    for i in range(d):
        for j in range(d):
            swap[i * d + j, j * d + i] = 1
    anti = (np.eye(d * d) - swap) / 2
    rho = p * anti / (d * (d - 1) / 2) + (1 - p) * np.eye(d * d) / d**2
    if np.linalg.eigvalsh(rho).min() < -1e-12 or p > 1:
        raise InvalidParameterError(f"p = {p} does not give a positive Werner state for d = {d}")
    return rho.astype(complex)


def isotropic_state(F: float, d: int = 2) -> np.ndarray:
    r"""Isotropic state :math:`F\Phi^+ + (1-F)(\mathbb 1-\Phi^+)/(d^2-1)`, entangled iff ``F > 1/d``."""
    d = _positive_int(d, "d", minimum=2)
    F = check_in_range(F, "F", 0.0, 1.0)
    phi = maximally_entangled_state(d)
    return F * phi + (1 - F) * (np.eye(d * d) - phi) / (d * d - 1)


def thermal_populations(energies: Any, *, temperature: float) -> np.ndarray:
    r"""Gibbs weights :math:`p_i = e^{-E_i/T}/Z` (``k_B = 1``); ``T = 0`` splits over the ground space."""
    try:
        e = np.asarray(energies, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"energies must be a finite 1-D vector of real numbers; got {energies!r:.60}"
        ) from exc
    if e.ndim != 1 or e.size == 0 or not np.all(np.isfinite(e)):
        raise InvalidParameterError(f"energies must be a finite 1-D vector; got {energies!r}")
    T = check_real(temperature, "temperature")
    if T < 0:
        raise InvalidParameterError(f"temperature must be >= 0; got {T}")
    shifted = e - e.min()
    if T == 0:
        w = (shifted <= 1e-12 * max(1.0, np.abs(e).max())).astype(float)
    else:
        w = np.exp(-shifted / T)
    return w / w.sum()


def thermal_state(hamiltonian: Any = None, *, temperature: float | None = None, spectrum: Any = None) -> np.ndarray:
    r"""Gibbs state :math:`e^{-H/T}/Z`.

    Give either a Hermitian ``hamiltonian`` and a ``temperature`` (``k_B = 1``), or
    ``spectrum``: a probability vector of populations (a state diagonal in the
    computational basis).

    Example
    -------
    >>> thermal_state(spectrum=[0.75, 0.25]).real.round(2).tolist()
    [[0.75, 0.0], [0.0, 0.25]]
    """
    if spectrum is not None:
        if hamiltonian is not None:
            raise InvalidParameterError("give either hamiltonian and temperature, or spectrum, not both")
        return np.diag(check_probability_vector(spectrum, "spectrum")).astype(complex)
    if hamiltonian is None or temperature is None:
        raise InvalidParameterError("thermal_state needs hamiltonian and temperature, or spectrum")
    h, _ = as_array(hamiltonian, name="hamiltonian")
    if h.ndim != 2 or h.shape[0] != h.shape[1]:
        raise DimensionError(f"hamiltonian must be square; got shape {h.shape}")
    if not np.allclose(h, h.conj().T, atol=1e-10):
        raise InvalidParameterError("hamiltonian is not Hermitian; pass H with H = H^dag")
    evals, evecs = np.linalg.eigh(h)
    p = thermal_populations(evals, temperature=temperature)
    return (evecs * p) @ evecs.conj().T


def spin_coherent_state(j: float, theta: float, phi: float, *, ket: bool = True) -> np.ndarray:
    r"""Spin coherent state :math:`|\theta,\phi\rangle` of spin ``j`` in the basis ``m = j..-j``.

    .. math:: |\theta,\phi\rangle = \sum_m \sqrt{\binom{2j}{j+m}}
              \cos^{j+m}(\theta/2)\,\sin^{j-m}(\theta/2)\,e^{i(j-m)\phi}|j,m\rangle

    ``theta = 0`` is the top state ``m = j``; ``theta = pi/2, phi = 0`` points
    along +x.  Computed in log space, so ``j`` can be large.
    """
    two_j = round(2 * check_real(j, "j"))
    if two_j < 0 or abs(two_j - 2 * float(j)) > 1e-12:
        raise InvalidParameterError(f"spin j must be a non-negative multiple of 1/2; got {j}")
    theta = check_real(theta, "theta")
    phi = check_real(phi, "phi")
    from scipy.special import gammaln  # lazy: scipy.special costs start-up to every importer (issue 19)

    k = np.arange(two_j + 1)  # k = j - m
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    logbin = gammaln(two_j + 1) - gammaln(k + 1) - gammaln(two_j - k + 1)
    with np.errstate(divide="ignore"):
        logamp = 0.5 * logbin + (two_j - k) * np.log(abs(c)) + k * np.log(abs(s))
    amp = np.exp(logamp) * np.sign(c) ** (two_j - k) * np.sign(s) ** k
    v = (amp * np.exp(1j * k * phi)).astype(complex)
    v /= np.linalg.norm(v)
    return v if ket else ket2dm(v)


def random_pure_state(dim: int, *, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """A Haar-random normalised ket of dimension ``dim``."""
    dim = check_int(dim, "dim", minimum=1)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(dim) + 1j * rng.standard_normal(dim)
    return v / np.linalg.norm(v)


def random_density_matrix(
    dim: int, *, rank: int | None = None, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """A random density matrix (Hilbert-Schmidt measure for full rank).

    ``dim >= 1``; ``rank`` (default ``dim``) must be an integer >= 1, and values above
    ``dim`` give a full-rank state.
    """
    dim = check_int(dim, "dim", minimum=1)
    rank = dim if rank is None else check_int(rank, "rank", minimum=1)
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((dim, rank)) + 1j * rng.standard_normal((dim, rank))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


def _positive_int(x: Any, name: str, minimum: int = 1) -> int:
    return check_int(x, name, minimum=minimum)
