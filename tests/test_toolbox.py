"""The quantum-information toolbox: distances, entropies, Schmidt, entangling power, criteria, states, channels."""

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle import ConvergenceError, DimensionError, InvalidChannelError, InvalidParameterError, InvalidStateError
from opentangle.channels import (
    amplitude_damping_channel,
    apply_channel,
    compose,
    dephasing_channel,
    depolarizing_channel,
    erasure_channel,
    from_choi,
    from_function,
    from_kraus,
    is_cptp,
    is_hermiticity_preserving,
    is_positive,
    is_unital,
    isotropic_twirl,
    pauli_channel,
    tensor,
    werner_twirl,
)
from opentangle.measures import (
    bures_distance,
    ccnr_norm,
    coherent_information,
    conditional_entropy,
    entangling_power,
    fidelity,
    is_separable,
    linear_entropy,
    purity,
    realignment,
    reduction_criterion,
    reduction_map,
    relative_entropy,
    renyi_entropy,
    schmidt_decomposition,
    schmidt_rank,
    shannon_entropy,
    trace_distance,
    tsallis_entropy,
    von_neumann_entropy,
)
from opentangle.operators import partial_trace, partial_transpose, random_unitary
from opentangle.states import (
    bell_state,
    dicke_state,
    generalized_bell_state,
    ghz_state,
    isotropic_state,
    ket2dm,
    maximally_entangled_state,
    multipartite_werner_state,
    random_density_matrix,
    random_pure_state,
    validate_density_matrix,
    w_state,
    werner_state,
)

qutip = pytest.importorskip("qutip")
seeds = st.integers(min_value=0, max_value=2**32 - 1)
dims_st = st.sampled_from([2, 3, 4])


def rand_pair(d, seed):
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, d + 1))
    return random_density_matrix(d, rank=rank, seed=rng), random_density_matrix(d, seed=rng)


# ----------------------------------------------------------------------------- distances vs QuTiP
@settings(max_examples=25, deadline=None)
@given(dims_st, seeds)
def test_distances_match_qutip(d, seed):
    a, b = rand_pair(d, seed)
    qa, qb = qutip.Qobj(a), qutip.Qobj(b)
    assert fidelity(a, b, root=True) == pytest.approx(qutip.fidelity(qa, qb), abs=1e-7)
    assert fidelity(a, b) == pytest.approx(qutip.fidelity(qa, qb) ** 2, abs=1e-7)
    assert trace_distance(a, b) == pytest.approx(qutip.tracedist(qa, qb), abs=1e-9)
    assert bures_distance(a, b) == pytest.approx(qutip.bures_dist(qa, qb), abs=1e-6)
    assert purity(a) == pytest.approx((qa * qa).tr().real, abs=1e-12)
    assert linear_entropy(a) == pytest.approx(qutip.entropy_linear(qa), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(dims_st, seeds)
def test_relative_entropy_matches_qutip_and_bounds(d, seed):
    a, b = rand_pair(d, seed)
    b = 0.9 * b + 0.1 * np.eye(d) / d  # full rank: finite
    ref = qutip.entropy_relative(qutip.Qobj(a), qutip.Qobj(b), base=2)
    assert relative_entropy(a, b) == pytest.approx(ref, abs=1e-7)
    # Pinsker: S(rho||sigma) >= 2 T^2 / ln 2 (bits)
    assert relative_entropy(a, b) >= 2 * trace_distance(a, b) ** 2 / math.log(2) - 1e-9
    assert relative_entropy(a, a) == pytest.approx(0, abs=1e-8)


def test_relative_entropy_support_and_fidelity_pure():
    assert relative_entropy(np.eye(2) / 2, np.diag([1.0, 0])) == math.inf
    psi = random_pure_state(4, seed=1)
    rho = random_density_matrix(4, seed=2)
    assert fidelity(psi, rho) == pytest.approx((psi.conj() @ rho @ psi).real, abs=1e-10)


def random_channel(d, seed, k=3):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((k * d, d)) + 1j * rng.standard_normal((k * d, d))
    q, _ = np.linalg.qr(g)
    return from_kraus([q[i * d : (i + 1) * d] for i in range(k)])


@settings(max_examples=25, deadline=None)
@given(dims_st, seeds)
def test_data_processing_and_unitary_invariance(d, seed):
    a, b = rand_pair(d, seed)
    b = 0.8 * b + 0.2 * np.eye(d) / d
    ch = random_channel(d, seed)
    ea, eb = ch(a), ch(b)
    assert trace_distance(ea, eb) <= trace_distance(a, b) + 1e-10
    assert relative_entropy(ea, eb) <= relative_entropy(a, b) + 1e-8
    assert fidelity(ea, eb) >= fidelity(a, b) - 1e-8
    u = random_unitary(d, seed=seed)
    ua, ub = u @ a @ u.conj().T, u @ b @ u.conj().T
    assert fidelity(ua, ub) == pytest.approx(fidelity(a, b), abs=1e-7)  # sqrt of round-off near rank deficiency
    assert trace_distance(ua, ub) == pytest.approx(trace_distance(a, b), abs=1e-10)
    assert renyi_entropy(ua, 2) == pytest.approx(renyi_entropy(a, 2), abs=1e-10)
    # Fuchs - van de Graaf
    f = fidelity(a, b, root=True)
    assert 1 - f - 1e-9 <= trace_distance(a, b) <= math.sqrt(max(0.0, 1 - f * f)) + 1e-9


# ----------------------------------------------------------------------------- entropies
@settings(max_examples=25, deadline=None)
@given(dims_st, seeds, st.floats(0.1, 5.0))
def test_renyi_tsallis_closed_forms_and_order(d, seed, alpha):
    a = random_density_matrix(d, seed=seed)
    p = np.linalg.eigvalsh(a)
    p = p[p > 1e-14]
    if abs(alpha - 1) > 1e-6:
        assert renyi_entropy(a, alpha) == pytest.approx(math.log2(np.sum(p**alpha)) / (1 - alpha), abs=1e-9)
        assert tsallis_entropy(a, alpha) == pytest.approx((1 - np.sum(p**alpha)) / (alpha - 1), abs=1e-9)
    assert renyi_entropy(a, 1) == pytest.approx(von_neumann_entropy(a), abs=1e-10)
    assert tsallis_entropy(a, 1) == pytest.approx(von_neumann_entropy(a, base=math.e), abs=1e-10)
    # Renyi entropies decrease with alpha and lie in [0, log2 d]
    assert renyi_entropy(a, math.inf) <= renyi_entropy(a, alpha) + 1e-9 <= renyi_entropy(a, 0) + 2e-9
    assert 0 <= renyi_entropy(a, alpha) <= math.log2(d) + 1e-9
    assert renyi_entropy(a, 2, base=math.e) == pytest.approx(renyi_entropy(a, 2) * math.log(2), abs=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([(2, 2), (2, 3), (3, 2)]), seeds)
def test_conditional_entropy_and_coherent_information(dims, seed):
    rho = random_density_matrix(math.prod(dims), seed=seed)
    sab = von_neumann_entropy(rho)
    sb = von_neumann_entropy(partial_trace(rho, [1], dims))
    assert conditional_entropy(rho, dims) == pytest.approx(sab - sb, abs=1e-10)
    assert coherent_information(rho, dims) == pytest.approx(sb - sab, abs=1e-10)
    q = qutip.Qobj(rho, dims=[list(dims), list(dims)])
    assert conditional_entropy(rho, dims) == pytest.approx(qutip.entropy_conditional(q, 1, base=2), abs=1e-8)
    # S(A|B) >= -log2 d_A
    assert conditional_entropy(rho, dims) >= -math.log2(dims[0]) - 1e-9


def test_conditional_entropy_bell():
    assert conditional_entropy(bell_state("psi-")) == pytest.approx(-1)
    assert conditional_entropy(np.eye(4) / 4) == pytest.approx(1)


# ----------------------------------------------------------------------------- Schmidt, entangling power
@settings(max_examples=25, deadline=None)
@given(st.sampled_from([(2, 2), (2, 3), (3, 4)]), seeds)
def test_schmidt_decomposition_reconstructs(dims, seed):
    psi = random_pure_state(math.prod(dims), seed=seed)
    sd = schmidt_decomposition(psi, dims)
    assert np.allclose(sd.state(), psi, atol=1e-12)
    assert sd.rank == min(dims) and np.sum(sd.coefficients**2) == pytest.approx(1)
    assert np.allclose(sd.basis_a.conj().T @ sd.basis_a, np.eye(sd.rank), atol=1e-12)
    prod = np.kron(random_pure_state(dims[0], seed=seed), random_pure_state(dims[1], seed=seed + 1))
    assert schmidt_rank(prod, dims) == 1
    assert schmidt_rank(maximally_entangled_state(3, ket=True)) == 3


def haar_entangling_power(u, samples, seed):
    rng = np.random.default_rng(seed)
    acc = 0.0
    for _ in range(samples):
        psi = u @ np.kron(random_pure_state(2, seed=rng), random_pure_state(2, seed=rng))
        ra = partial_trace(ket2dm(psi), [0], [2, 2])
        acc += 1 - np.trace(ra @ ra).real
    return acc / samples


def test_entangling_power_closed_forms_and_monte_carlo():
    cnot = np.eye(4)[[0, 1, 3, 2]]
    swap = np.eye(4)[[0, 2, 1, 3]]
    assert entangling_power(cnot) == pytest.approx(2 / 9)
    assert entangling_power(swap) == pytest.approx(0, abs=1e-12)
    local = np.kron(random_unitary(2, seed=1), random_unitary(2, seed=2))
    assert entangling_power(local) == pytest.approx(0, abs=1e-12)
    u = random_unitary(4, seed=5)
    assert entangling_power(u) == pytest.approx(haar_entangling_power(u, 4000, 7), abs=0.01)
    assert 0 <= entangling_power(u) <= 2 / 9 + 1e-12
    with pytest.raises(InvalidParameterError):
        entangling_power(np.ones((4, 4)))


# ----------------------------------------------------------------------------- criteria
def tiles_state():
    """The UPB 'tiles' bound-entangled state (Bennett et al., PRL 82, 5385 (1999))."""
    e = np.eye(3)
    v = [
        np.kron(e[0], (e[0] - e[1]) / np.sqrt(2)),
        np.kron((e[0] - e[1]) / np.sqrt(2), e[2]),
        np.kron(e[2], (e[1] - e[2]) / np.sqrt(2)),
        np.kron((e[1] - e[2]) / np.sqrt(2), e[0]),
        np.kron(e.sum(0) / np.sqrt(3), e.sum(0) / np.sqrt(3)),
    ]
    return (np.eye(9) - sum(ket2dm(x) for x in v)) / 4


def test_ccnr_detects_bound_entanglement_ppt_does_not():
    rho = tiles_state()
    assert np.linalg.eigvalsh(partial_transpose(rho, [0], [3, 3]))[0] > -1e-12
    assert ccnr_norm(rho) > 1.05
    res = is_separable(rho)
    assert res.separable is False and res.decided_by == "CCNR (realignment)"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([(2, 2), (2, 3), (3, 3)]), seeds)
def test_ccnr_and_reduction_hold_on_separable_states(dims, seed):
    rng = np.random.default_rng(seed)
    rho = sum(
        w * np.kron(random_density_matrix(dims[0], seed=rng), random_density_matrix(dims[1], seed=rng))
        for w in rng.dirichlet(np.ones(4))
    )
    assert ccnr_norm(rho, dims) <= 1 + 1e-10
    assert reduction_criterion(rho, dims)
    assert is_separable(rho, dims).separable is not False
    r = realignment(rho, dims)
    assert r.shape == (dims[0] ** 2, dims[1] ** 2)


def test_realignment_of_product_and_bell():
    a, b = random_density_matrix(2, seed=1), random_density_matrix(3, seed=2)
    r = realignment(np.kron(a, b), [2, 3])
    assert np.allclose(r, np.outer(a.reshape(-1), b.reshape(-1)))
    assert ccnr_norm(bell_state("phi+")) == pytest.approx(2)


def test_reduction_map_and_isotropic_threshold():
    x = random_density_matrix(3, seed=3)
    assert np.allclose(reduction_map(x), np.eye(3) - x)
    # isotropic states violate reduction exactly when F > 1/d (where they are entangled)
    assert reduction_criterion(isotropic_state(1 / 3 - 0.01, 3))
    assert not reduction_criterion(isotropic_state(1 / 3 + 0.01, 3))


def test_is_separable_decisions():
    assert is_separable(werner_state(0.3)).decided_by.startswith("PPT (sufficient")
    assert is_separable(werner_state(0.3)).separable is True
    r = is_separable(werner_state(0.5))
    assert r.separable is False and r.decided_by == "PPT" and "min_eig_partial_transpose" in r.checks
    assert is_separable(bell_state("phi+")).decided_by == "pure state (Schmidt rank)"
    assert is_separable(np.eye(9) / 9).separable is True
    assert is_separable(0.95 * np.eye(16) / 16 + 0.05 * maximally_entangled_state(4)).decided_by == "purity ball"
    low = np.kron(ket2dm(np.array([1, 0, 0])), random_density_matrix(3, seed=1))
    assert is_separable(low).separable is True
    assert "decided_by" in repr(is_separable(bell_state("phi+")))
    three = ghz_state(3)
    assert is_separable(three, [2, 2, 2], part_a=[0]).separable is False


# ----------------------------------------------------------------------------- states
def test_dicke_w_and_generalized_bell():
    q = qutip.w_state(3).full().ravel()
    assert np.allclose(w_state(3, ket=True), q)
    d = dicke_state(4, 2, ket=True)
    assert np.count_nonzero(d) == 6 and np.linalg.norm(d) == pytest.approx(1)
    basis = np.array([generalized_bell_state(a, b, 3, ket=True) for a in range(3) for b in range(3)])
    assert np.allclose(basis @ basis.conj().T, np.eye(9), atol=1e-12)
    for (a, b), lab in {(0, 0): "phi+", (0, 1): "phi-", (1, 0): "psi+", (1, 1): "psi-"}.items():
        assert np.allclose(generalized_bell_state(a, b), bell_state(lab))
    with pytest.raises(InvalidParameterError):
        dicke_state(3, 4)


def test_weighted_ghz_and_multipartite_werner():
    g = ghz_state(3, ket=True, coefficients=[1, 1j])
    assert np.allclose(g[[0, 7]], [1 / np.sqrt(2), 1j / np.sqrt(2)])
    assert np.allclose(ghz_state(3, coefficients=[1, 1]), ghz_state(3))
    rho = multipartite_werner_state(3, 0.5)
    validate_density_matrix(rho)
    from opentangle.measures import negativity

    # NPT across every cut iff p > 1/(1 + 2^(n-1)) (Dür-Cirac)
    assert negativity(multipartite_werner_state(3, 0.21), [2, 2, 2], part_a=[0]) > 0
    assert negativity(multipartite_werner_state(3, 0.19), [2, 2, 2], part_a=[0]) == pytest.approx(0, abs=1e-12)
    with pytest.raises(InvalidParameterError):
        multipartite_werner_state(3, 1.5)
    with pytest.raises(InvalidParameterError):
        ghz_state(2, coefficients=[0, 0])


# ----------------------------------------------------------------------------- channels
def test_named_channels_closed_forms():
    rho = random_density_matrix(2, seed=4)
    dep = depolarizing_channel(0.3)
    assert np.allclose(dep(rho), 0.7 * rho + 0.3 * np.eye(2) / 2)
    deph = dephasing_channel(0.4)
    z = np.diag([1, -1])
    assert np.allclose(deph(rho), 0.8 * rho + 0.2 * z @ rho @ z)
    ad = amplitude_damping_channel(0.25)
    out = ad(rho)
    assert out[1, 1] == pytest.approx(0.75 * rho[1, 1]) and out[0, 1] == pytest.approx(math.sqrt(0.75) * rho[0, 1])
    pc = pauli_channel([0.7, 0.1, 0.1, 0.1])
    assert np.allclose(pc(rho), depolarizing_channel(0.4)(rho))
    er = erasure_channel(0.2, 3)
    r3 = random_density_matrix(3, seed=5)
    o = er(r3)
    assert o.shape == (4, 4) and np.allclose(o[:3, :3], 0.8 * r3) and o[3, 3] == pytest.approx(0.2)
    for ch in (dep, deph, ad, pc, er, depolarizing_channel(4 / 3)):
        assert is_cptp(ch)
    q = qutip.Qobj(rho)
    kraus_ad = [qutip.Qobj(k) for k in ad.kraus()]
    assert np.allclose(sum((k * q * k.dag()).full() for k in kraus_ad), out)


def test_channel_properties():
    assert is_unital(depolarizing_channel(0.5)) and is_unital(pauli_channel([0.4, 0.2, 0.3, 0.1]))
    assert not is_unital(amplitude_damping_channel(0.5)) and not is_unital(erasure_channel(0.5))
    transpose = from_function(lambda x: np.swapaxes(x, -1, -2), dims_in=2, dims_out=2, check=False)
    red = from_function(reduction_map, dims_in=3, dims_out=3, check=False)
    assert is_positive(transpose) and is_positive(red) and is_positive(dephasing_channel(0.3))
    neg = from_function(lambda x: -x, dims_in=2, dims_out=2, check=False)
    assert not is_positive(neg)
    assert is_hermiticity_preserving(transpose)
    skew = from_function(lambda x: 1j * x, dims_in=2, dims_out=2, check=False)
    assert not is_hermiticity_preserving(skew) and not is_positive(skew)


def test_is_positive_undecided_raises():
    # an entanglement-witness-like map that is positive but neither CP nor co-CP: T + id mixture on qubits
    ident = from_function(lambda x: x, dims_in=2, dims_out=2, check=False)
    transpose = from_function(lambda x: np.swapaxes(x, -1, -2), dims_in=2, dims_out=2, check=False)
    mix = from_choi(0.5 * ident.choi + 0.5 * transpose.choi, dims_in=[2], dims_out=[2], check=False)
    with pytest.raises(ConvergenceError, match="undecided"):
        is_positive(mix, starts=2)


def test_non_channel_inputs_give_typed_errors():
    x = random_density_matrix(2, seed=1)
    kraus = [np.eye(2)]
    for bad in (2, kraus, np.eye(4), "depolarizing"):
        with pytest.raises(InvalidChannelError, match="Channel"):
            apply_channel(bad, x)
    with pytest.raises(InvalidChannelError, match="from_kraus"):
        compose(kraus, depolarizing_channel(0.1))
    with pytest.raises(InvalidChannelError, match="from_choi"):
        tensor(depolarizing_channel(0.1), np.eye(4))
    with pytest.raises(InvalidChannelError):
        is_cptp(kraus)
    with pytest.raises(InvalidChannelError):
        is_unital(3)


def test_non_states_rejected_by_channels_and_twirls():
    bad = np.diag([1.5, -0.5])
    with pytest.raises(InvalidStateError):
        apply_channel(depolarizing_channel(0.1), bad)
    assert np.allclose(apply_channel(depolarizing_channel(0.0), bad, state=False), bad)
    with pytest.raises(InvalidStateError):
        isotropic_twirl(np.diag([1.5, -0.5, 0, 0]))
    with pytest.raises(InvalidStateError):
        werner_twirl(np.diag([1.5, -0.5, 0, 0]))
    unit = np.zeros((4, 4))
    unit[0, 1] = 1
    assert isotropic_twirl(unit, state=False).shape == (4, 4)


# ----------------------------------------------------------------------------- issue 13 item 6
def test_item6_non_states():
    with pytest.raises(InvalidParameterError):
        shannon_entropy([-0.5, 1.5])
    with pytest.raises(InvalidParameterError):
        shannon_entropy([0.5, 0.6])
    with pytest.raises(InvalidParameterError):
        shannon_entropy([np.nan, 1.0])
    assert shannon_entropy([0.5, 0.5]) == pytest.approx(1)
    assert np.allclose(shannon_entropy([[0.5, 0.5], [1.0, 0.0]]), [1, 0])
    with pytest.raises(InvalidStateError):
        ket2dm(np.zeros(4))
    for atol in (math.nan, -1.0, math.inf):
        with pytest.raises(InvalidParameterError):
            validate_density_matrix(np.diag([1.5, -0.5]), atol=atol)
    with pytest.raises(InvalidParameterError):
        is_separable(np.eye(4) / 4, atol=math.nan)
    with pytest.raises(DimensionError):
        fidelity(np.eye(2) / 2, np.eye(3) / 3)
    with pytest.raises(InvalidStateError):
        trace_distance(np.eye(2), np.eye(2) / 2)


def test_partial_transpose_rectangular():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))  # rows 2 x 3, columns 2 x 2
    dims = [[2, 3], [2, 2]]
    t = partial_transpose(x, [0], dims)
    assert t.shape == (6, 4)
    t1 = partial_transpose(x, [1], dims)
    assert t1.shape == (4, 6)
    # elementwise: <i j| X^{T_B} |k l> = <i l| X |k j>
    x4 = x.reshape(2, 3, 2, 2)
    assert np.allclose(t1.reshape(2, 2, 2, 3), x4.transpose(0, 3, 2, 1))
    assert np.allclose(partial_transpose(t1, [1], [[2, 2], [2, 3]]), x)
    assert np.allclose(partial_transpose(x, [0, 1], dims), x.T)
    sq = random_density_matrix(4, seed=1)
    assert np.allclose(partial_transpose(sq, [1], [[2, 2], [2, 2]]), partial_transpose(sq, [1], [2, 2]))
    with pytest.raises(DimensionError):
        partial_transpose(x, [0], [[2, 2], [2, 2]])


# ----------------------------------------------------------------------------- fuzz: typed error or valid result
BAD_INPUTS = [
    None,
    2,
    -1,
    1.5,
    math.nan,
    "x",
    [],
    [[1, 2], [3]],
    np.zeros((0, 0)),
    np.zeros(4),
    np.ones((2, 3)),
    np.diag([1.5, -0.5]),
    np.full((4, 4), np.nan),
    np.eye(4) / 4,
]


def _public(mod, skip=()):
    import inspect

    for name in mod.__all__:
        f = getattr(mod, name)
        if callable(f) and not inspect.isclass(f) and name not in skip:
            yield name, f


@pytest.mark.parametrize("modname", ["opentangle.measures", "opentangle.states", "opentangle.channels"])
def test_fuzz_public_api_raises_only_typed_errors(modname):
    import importlib
    import inspect
    import itertools
    import warnings

    from opentangle.errors import OpentangleError

    mod = importlib.import_module(modname)
    bare = []
    for name, f in _public(mod, skip={"genuine_entanglement", "genuine_entanglement_value", "haar_twirl"}):
        params = inspect.signature(f).parameters.values()
        npos = sum(
            p.default is inspect._empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params
        )
        kws = {p.name: 2 for p in params if p.kind == p.KEYWORD_ONLY and p.default is inspect._empty}
        if os.environ.get("SLOW", "0") not in ("", "0"):  # every pair of bad inputs
            combos = [
                list(a) + [np.eye(4) / 4] * (npos - min(npos, 2))
                for a in itertools.product(BAD_INPUTS, repeat=min(npos, 2))
            ]
        else:  # one bad input at a time, the others valid
            combos = (
                [
                    [bad if j == i else np.eye(4) / 4 for j in range(npos)]
                    for i in range(max(npos, 1))
                    for bad in BAD_INPUTS
                ]
                if npos
                else [[]]
            )
        for args in combos:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f(*args, **kws)
            except OpentangleError:
                pass
            except Exception as exc:  # this is what the test hunts for
                bare.append(f"{name}{tuple(map(type, args))}: {type(exc).__name__}: {exc}")
    assert not bare, "\n".join(bare[:10])
