"""Tests of opentangle.channels: representations, CPTP checks, twirls, local thermalisations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from opentangle.channels import (
    Channel,
    apply_channel,
    check_cptp,
    choi_to_kraus,
    compose,
    eplt_channel,
    eplt_output,
    fmax_upper_bound,
    from_choi,
    from_function,
    from_kraus,
    ghz_eplt_channel,
    ghz_eplt_output,
    ghz_twirl,
    ghz_twirl_channel,
    haar_twirl,
    identity_channel,
    is_completely_positive,
    is_cptp,
    is_local_thermalization,
    is_trace_preserving,
    isotropic_twirl,
    isotropic_twirl_channel,
    kraus_to_choi,
    local_thermalization_error,
    max_gamma,
    mixing_states,
    mixture,
    replacement_channel,
    tensor,
    thermal_state,
    unitary_channel,
    werner_twirl,
    werner_twirl_channel,
)
from opentangle.errors import DimensionError, InvalidChannelError, InvalidParameterError, InvalidStateError
from opentangle.operators import partial_trace, random_unitary
from opentangle.states import (
    ghz_state,
    isotropic_state,
    maximally_entangled_state,
    random_density_matrix,
    werner_state,
)


def random_kraus(d_in: int, d_out: int, k: int, seed: int) -> list[np.ndarray]:
    """Kraus operators from a Haar isometry d_in -> d_out * k."""
    u = random_unitary(d_out * k, seed=seed)[:, :d_in]
    return [u[i * d_out : (i + 1) * d_out] for i in range(k)]


def kraus_apply(kraus, rho):
    return sum(k @ rho @ k.conj().T for k in kraus)


# ----------------------------------------------------------------------------- representations
@pytest.mark.parametrize("d_in,d_out,k", [(2, 2, 1), (2, 3, 2), (3, 2, 4), (4, 4, 3)])
def test_kraus_choi_roundtrip_and_apply(d_in, d_out, k):
    kr = random_kraus(d_in, d_out, k, seed=d_in + 10 * d_out + k)
    ch = from_kraus(kr)
    assert ch.kraus_rank == k
    rho = random_density_matrix(d_in, seed=3)
    assert np.allclose(ch(rho), kraus_apply(kr, rho), atol=1e-13)
    back = ch.kraus()
    assert len(back) == k
    assert np.allclose(kraus_apply(back, rho), kraus_apply(kr, rho), atol=1e-13)
    assert np.allclose(kraus_to_choi(back), ch.choi, atol=1e-13)
    assert is_cptp(ch)


def test_apply_matches_qutip_superoperator():
    qutip = pytest.importorskip("qutip")
    kr = random_kraus(3, 3, 3, seed=5)
    s = qutip.kraus_to_super([qutip.Qobj(k) for k in kr])
    rho = random_density_matrix(3, seed=6)
    ref = qutip.vector_to_operator(s * qutip.operator_to_vector(qutip.Qobj(rho))).full()
    assert np.allclose(from_kraus(kr)(rho), ref, atol=1e-13)
    # Qobj Kraus operators are accepted too
    assert np.allclose(from_kraus([qutip.Qobj(k) for k in kr])(rho), ref, atol=1e-13)


def test_compose_and_matmul():
    e1, e2 = from_kraus(random_kraus(2, 3, 2, 1)), from_kraus(random_kraus(3, 2, 3, 2))
    rho = random_density_matrix(2, seed=1)
    c = compose(e2, e1)
    assert c.dims_in == (2,) and c.dims_out == (2,)
    assert np.allclose(c(rho), e2(e1(rho)), atol=1e-13)
    assert np.allclose((e2 @ e1).choi, c.choi)
    assert is_cptp(c)
    with pytest.raises(DimensionError):
        compose(e1, e1)


def test_tensor_matches_kron_of_kraus():
    k1, k2 = random_kraus(2, 2, 2, 11), random_kraus(3, 2, 2, 12)
    t = tensor(from_kraus(k1), from_kraus(k2))
    assert t.dims_in == (2, 3) and t.dims_out == (2, 2)
    kk = [np.kron(a, b) for a in k1 for b in k2]
    rho = random_density_matrix(6, seed=4)  # entangled across the cut in general
    assert np.allclose(t(rho), kraus_apply(kk, rho), atol=1e-13)


def test_batch_application():
    ch = from_kraus(random_kraus(2, 2, 2, 7))
    rhos = np.stack([random_density_matrix(2, seed=s) for s in range(5)])
    out = ch(rhos)
    assert out.shape == (5, 2, 2)
    assert np.allclose(out[3], ch(rhos[3]))


def test_cp_tp_checks_detect_bad_maps():
    # transpose map: TP, not CP (Choi = SWAP)
    transpose = from_function(lambda x: np.swapaxes(x, -1, -2), dims_in=2, dims_out=2, check=False)
    assert is_trace_preserving(transpose) and not is_completely_positive(transpose)
    with pytest.raises(InvalidChannelError, match="not completely positive"):
        check_cptp(transpose)
    with pytest.raises(InvalidChannelError):
        choi_to_kraus(transpose.choi, d_in=2, d_out=2)
    # CP, not TP
    with pytest.raises(InvalidChannelError, match="trace preserving"):
        from_kraus([np.eye(2), np.eye(2)])
    assert not is_trace_preserving(from_kraus([np.eye(2), np.eye(2)], check=False))
    with pytest.raises(DimensionError):
        from_choi(np.eye(5), dims_in=2, dims_out=2)
    with pytest.raises(DimensionError):
        from_kraus([np.eye(2), np.eye(3)])
    with pytest.raises(InvalidChannelError):
        unitary_channel(np.array([[1, 1], [0, 1]]))
    with pytest.raises(DimensionError):
        identity_channel(2)(np.eye(3) / 3)


def test_repr_is_informative():
    text = repr(eplt_channel([0.8, 0.2], [0.7, 0.3]))
    assert "dims_in=[2, 2]" in text and "CP=True" in text and "TP=True" in text


# ----------------------------------------------------------------------------- twirls
@pytest.mark.parametrize("d", [2, 3])
def test_isotropic_twirl_closed_form_vs_haar(d):
    rho = 0.5 * random_density_matrix(d * d, rank=1, seed=d) + 0.5 * maximally_entangled_state(d)
    mc = haar_twirl(rho, kind="isotropic", samples=3000, seed=1)
    closed = isotropic_twirl(rho)
    assert np.abs(mc - closed).max() < 0.03
    # the test can fail: the Werner form is far from the isotropic Monte Carlo
    assert np.abs(mc - werner_twirl(rho)).max() > 0.1
    # output is the isotropic state with the same Phi+ overlap
    f = np.real(np.trace(maximally_entangled_state(d) @ rho))
    assert np.allclose(closed, isotropic_state(f, d), atol=1e-14)


@pytest.mark.parametrize("d", [2, 3])
def test_werner_twirl_closed_form_vs_haar(d):
    rho = random_density_matrix(d * d, rank=1, seed=10 + d)
    mc = haar_twirl(rho, kind="werner", samples=3000, seed=2)
    assert np.abs(mc - werner_twirl(rho)).max() < 0.03
    assert np.allclose(werner_twirl(werner_state(0.6, d)), werner_state(0.6, d), atol=1e-14)


def test_twirl_channels_are_idempotent_cptp_projections():
    for ch in (isotropic_twirl_channel(3), werner_twirl_channel(2), ghz_twirl_channel(3, 2)):
        assert is_cptp(ch)
        assert np.allclose((ch @ ch).choi, ch.choi, atol=1e-13)


def test_haar_twirl_is_seeded_and_validates():
    rho = random_density_matrix(4, seed=0)
    assert np.array_equal(haar_twirl(rho, samples=20, seed=5), haar_twirl(rho, samples=20, seed=5))
    with pytest.raises(InvalidParameterError):
        haar_twirl(rho, kind="clifford")
    with pytest.raises(InvalidParameterError):
        haar_twirl(rho, samples=0)
    with pytest.raises(DimensionError):
        isotropic_twirl(np.eye(6) / 6)


def _ghz_twirl_mc(rho, n, d, samples, seed):
    """Sample the GHZ twirl group: constrained shared phases, then a shared cyclic shift."""
    rng = np.random.default_rng(seed)
    shift = np.roll(np.eye(d), 1, axis=0)
    acc = np.zeros_like(rho)
    for _ in range(samples):
        th = rng.uniform(0, 2 * np.pi, (n, d))
        th[-1] = -th[:-1].sum(0)
        u = np.diag(np.exp(1j * th[0]))
        for k in range(1, n):
            u = np.kron(u, np.diag(np.exp(1j * th[k])))
        x = np.linalg.matrix_power(shift, int(rng.integers(d)))
        w = x
        for _ in range(n - 1):
            w = np.kron(w, x)
        w = w @ u
        acc += w @ rho @ w.conj().T
    return acc / samples


@pytest.mark.parametrize("n,d", [(3, 2), (2, 3)])
def test_ghz_twirl_closed_form_vs_monte_carlo(n, d):
    rho = 0.5 * random_density_matrix(d**n, rank=1, seed=n + d) + 0.5 * ghz_state(n, d)
    closed = ghz_twirl(rho, n=n, d=d)
    mc = _ghz_twirl_mc(rho, n, d, 3000, seed=4)
    assert np.abs(mc - closed).max() < 0.02
    g = ghz_state(n, d)
    assert np.isclose(np.trace(g @ closed), np.trace(g @ rho), atol=1e-14)
    for k in range(n):
        assert np.allclose(partial_trace(closed, [k], [d] * n), np.eye(d) / d, atol=1e-14)


# ----------------------------------------------------------------------------- local thermalisation
TAUS = [([0.8, 0.2], [0.7, 0.3]), ([0.6, 0.3, 0.1], [0.5, 0.3, 0.2]), ([0.4, 0.3, 0.2, 0.1], [0.25] * 4)]


@pytest.mark.parametrize("pa,pb", TAUS)
@pytest.mark.parametrize("coins", ["shared", "independent"])
def test_eplt_is_lt_on_choi_and_fast_path_agrees(pa, pb, coins):
    ch = eplt_channel(pa, pb, coins=coins)
    ta, tb = np.diag(pa), np.diag(pb)
    assert is_cptp(ch)
    assert local_thermalization_error(ch, [ta, tb]) < 1e-13
    assert is_local_thermalization(ch, [ta, tb])
    d = len(pa)
    rhos = np.stack([random_density_matrix(d * d, seed=s) for s in range(4)])
    assert np.allclose(ch(rhos), eplt_output(rhos, pa, pb, coins=coins), atol=1e-13)


def test_lt_check_rejects_non_thermalising_channels():
    ta, tb = np.diag([0.8, 0.2]), np.diag([0.7, 0.3])
    assert not is_local_thermalization(identity_channel([2, 2]), [ta, tb])
    assert local_thermalization_error(identity_channel([2, 2]), [ta, tb]) > 0.1
    # correct tau_A, wrong tau_B
    wrong = tensor(replacement_channel(ta, d_in=2), replacement_channel(ta, d_in=2))
    assert local_thermalization_error(wrong, [ta, tb]) == pytest.approx(0.1)
    # gamma above d P_min would make sigma negative: the raw mixture is not CP
    with pytest.raises(InvalidParameterError, match="d \\* P_min"):
        eplt_channel([0.8, 0.2], [0.8, 0.2], gamma=0.5)
    with pytest.raises(DimensionError):
        local_thermalization_error(eplt_channel([0.8, 0.2], [0.8, 0.2]), [ta])


@pytest.mark.parametrize("d", [2, 3, 5, 8])
def test_marginals_exact_on_random_inputs(d):
    rng = np.random.default_rng(d)
    pa, pb = rng.dirichlet(np.ones(d)), rng.dirichlet(np.ones(d))
    rhos = np.stack([random_density_matrix(d * d, seed=rng) for _ in range(6)])
    out = eplt_output(rhos, pa, pb)
    assert np.abs(partial_trace(out, [0], [d, d]) - np.diag(pa)).max() < 1e-12
    assert np.abs(partial_trace(out, [1], [d, d]) - np.diag(pb)).max() < 1e-12
    assert np.linalg.eigvalsh(out).min() > -1e-12


def test_non_diagonal_thermal_states_from_hamiltonians():
    ha = np.array([[0.0, 0.3], [0.3, 1.0]])
    hb = np.array([[0.5, 0.2j], [-0.2j, -0.5]])
    ta, tb = thermal_state(ha, temperature=0.7), thermal_state(hb, temperature=1.3)
    ref = expm(-ha / 0.7)
    assert np.allclose(ta, ref / np.trace(ref), atol=1e-14)
    ch = eplt_channel(ta, tb)
    assert local_thermalization_error(ch, [ta, tb]) < 1e-13
    assert max_gamma(ta, tb) == pytest.approx(2 * min(np.linalg.eigvalsh(ta).min(), np.linalg.eigvalsh(tb).min()))


def test_bad_thermal_states_and_gamma():
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        eplt_output(np.eye(4) / 4, [0.8, 0.3], [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="negative"):
        eplt_output(np.eye(4) / 4, [1.2, -0.2], [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="zero temperature"):
        eplt_output(np.eye(4) / 4, [1.0, 0.0], [0.5, 0.5], gamma=0.1)
    with pytest.raises(InvalidParameterError):
        eplt_output(np.eye(4) / 4, [0.5, 0.5], [0.5, 0.5], gamma=-0.1)
    with pytest.raises(InvalidParameterError):
        eplt_output(np.eye(4) / 4, [0.5, 0.5], [0.5, 0.5], coins="telepathy")
    with pytest.raises(DimensionError):
        eplt_output(np.eye(4) / 4, [0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(InvalidStateError):
        eplt_output(np.eye(4) / 4, np.array([[1.0, 2.0], [2.0, 0.0]]), [0.5, 0.5])
    # zero temperature with the default gamma: explicit product output, no entanglement
    g, _ = mixing_states([1.0, 0.0], [0.5, 0.5])
    assert g == 0.0
    out = eplt_output(maximally_entangled_state(2), [1.0, 0.0], [0.5, 0.5])
    assert np.allclose(out, np.kron(np.diag([1.0, 0.0]), np.eye(2) / 2))


def test_infinite_temperature_is_the_twirl():
    assert max_gamma(np.eye(3) / 3) == 1.0
    rho = random_density_matrix(9, seed=1)
    assert np.allclose(eplt_output(rho, [1 / 3] * 3, [1 / 3] * 3), isotropic_twirl(rho))


@pytest.mark.parametrize("n,d", [(3, 2), (2, 3)])
def test_ghz_eplt_choi_and_fast_path(n, d):
    rng = np.random.default_rng(n * d)
    taus = [np.diag(rng.dirichlet(np.ones(d))) for _ in range(n)]
    ch = ghz_eplt_channel(taus)
    assert is_cptp(ch)
    assert local_thermalization_error(ch, taus) < 1e-13
    rho = random_density_matrix(d**n, seed=2)
    assert np.allclose(ch(rho), ghz_eplt_output(rho, taus), atol=1e-13)
    with pytest.raises(DimensionError):
        ghz_eplt_output(rho, taus[:1])


def test_mixture_validates():
    a, b = identity_channel(2), replacement_channel(np.eye(2) / 2, d_in=2)
    m = mixture([a, b], [0.3, 0.7])
    assert np.allclose(m(np.diag([1.0, 0.0])), np.diag([0.65, 0.35]))
    with pytest.raises(InvalidParameterError):
        mixture([a, b], [0.3, 0.3])
    with pytest.raises(DimensionError):
        mixture([a, identity_channel(3)], [0.5, 0.5])


def test_fmax_upper_bound_values():
    assert fmax_upper_bound(np.eye(2) / 2) == pytest.approx(1.0)
    assert fmax_upper_bound(np.diag([0.8, 0.2]), np.diag([0.5, 0.5])) == pytest.approx(
        (np.sqrt(0.8) + np.sqrt(0.2)) ** 2 / 2
    )
    assert isinstance(eplt_channel([0.5, 0.5], [0.5, 0.5]), Channel)
    assert np.allclose(apply_channel(identity_channel(2), np.eye(2) / 2), np.eye(2) / 2)
