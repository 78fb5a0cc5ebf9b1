"""The small-N reset path runs on NumPy alone (issue 19, target 1), with the same answers as the SciPy path.

* ``opentangle --help`` and ``opentangle reset --n 2 / --n 8 --json`` import no SciPy at all (checked
  in fresh interpreters through ``sys.modules``: no wall-clock assertion);
* above ``DENSE_MAX_DIM`` the CLI keeps the sparse (SciPy) path, with the numbers of the code before
  this change;
* the dense solves equal the sparse ones to 1e-12 (N = 2..10, several points and Hamiltonians),
  the CLI's measures agree with an independent QuTiP model at N = 3, and the dense certificate
  keeps "not unique" and "ill-conditioned" apart.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from opentangle.errors import IllConditionedError, NonUniqueSteadyStateError
from opentangle.lindblad import permutation as P
from opentangle.lindblad.permutation import SymmetricHamiltonian, symmetric_steady_state
from opentangle.operators import sigma_minus, sigma_z
from opentangle.studies import reset as R

S = importlib.import_module("opentangle.lindblad._schur_steady")  # after permutation, which imports it last


def _run(*args: str) -> tuple[dict | None, list[str]]:
    """``(JSON printed, modules loaded)`` of ``opentangle <args>`` run through ``main`` in a fresh interpreter."""
    probe = (
        "import sys, io, contextlib\nfrom opentangle.cli import main\nbuf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n    try:\n"
        f"        main({list(args)!r})\n    except SystemExit:\n        pass\n"
        "print(buf.getvalue().strip().splitlines()[-1] if buf.getvalue().strip() else '')\n"
        "print('MODULES:' + ','.join(sorted(sys.modules)))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    mods = lines[-1].removeprefix("MODULES:").split(",")
    text = lines[-2] if len(lines) >= 2 else ""
    return (json.loads(text) if text.startswith("{") else None), mods


def _scipy(mods: list[str]) -> list[str]:
    return [m for m in mods if m == "scipy" or m.startswith("scipy.")]


# ----------------------------------------------------------------------------- no SciPy on the small path
@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("reset", "--n", "2", "--json"),
        ("reset", "--n", "8", "--g", "5", "--gamma", "1", "--r", "8", "--json"),
    ],
)
def test_small_calls_import_no_scipy(args):
    out, mods = _run(*args)
    assert not _scipy(mods), _scipy(mods)
    if "--json" in args:
        assert out is not None and out["residual"] < 1e-12 and "opentangle.lindblad.permutation" in mods


def test_n2_cli_matches_the_closed_form():
    out, _ = _run("reset", "--n", "2", "--g", "2.5", "--r", "10", "--json")
    assert out is not None
    assert abs(out["pair_negativity"] - R.two_qubit_negativity(g=2.5, r=10.0, gamma=1.0)) < 1e-12
    assert abs(out["negativity"] - out["pair_negativity"]) < 1e-12  # N = 2: the pair is the half|half cut


#: ``opentangle reset ... --json`` of the code before the dense path (commit 5023c37), same machine
_BEFORE = {
    ("14", "3", "6"): {
        "negativity": 0.027173633344123205,
        "average_negativity": 0.02405260285543542,
        "squeezing_xi2": 8.671710219703126,
        "toth_margin": 10.633247260422344,
        "pair_negativity": 0.0,
        "negativity_lower_bound": 0.0,
    },
    ("40", "2.5", "5"): {
        "negativity": 0.023871867223313855,
        "average_negativity": 0.022837933404730226,
        "squeezing_xi2": 24.195677939601143,
        "toth_margin": 55.2905334447734,
        "pair_negativity": 0.0,
        "negativity_lower_bound": 0.0,
    },
}


def _check_before(n: str, g: str, r: str) -> None:
    out, mods = _run("reset", "--n", n, "--g", g, "--r", r, "--json")
    assert "scipy.sparse.linalg" in mods  # above DENSE_MAX_DIM: the sparse LU path
    assert out is not None
    for key, want in _BEFORE[(n, g, r)].items():
        assert abs(out[key] - want) <= 1e-10 * max(1.0, abs(want)), (key, out[key], want)
    assert out["residual"] < 1e-12


def test_above_the_dense_limit_the_cli_keeps_the_scipy_path_and_its_numbers():
    assert math.comb(14 + 3, 3) > P.DENSE_MAX_DIM
    _check_before("14", "3", "6")


@pytest.mark.slow
def test_n40_keeps_the_scipy_path_and_its_numbers():
    _check_before("40", "2.5", "5")


# ----------------------------------------------------------------------------- dense == sparse
def test_site_jumps_equal_the_lindblad_builders():
    from opentangle.lindblad import reset
    from opentangle.lindblad.permutation import _jump_list
    from opentangle.studies.reset.model import noise_jumps

    for p in (
        R.ResetParams(gamma=0.7, r=3.0, purity=0.8),
        R.ResetParams(noise="thermal", B=0.6, C=0.9, s=0.2, r=2.0),
        R.ResetParams(noise="thermal", B=0.0, C=1.3, s=0.5, r=1.0, purity=1.0),
    ):
        p = p.validate()
        noise = noise_jumps(p, 0, [2])
        ref = _jump_list([*noise, *reset(site=0, rate=p.r, state=R.fresh_state(p.purity), dims=[2])], "j")
        ours = _jump_list(R.site_jumps(p), "j")
        assert len(ours) == len(ref)
        for (a, ra), (b, rb) in zip(ours, ref):
            assert np.allclose(a, b, atol=1e-15) and abs(ra - rb) <= 1e-15 * max(1.0, rb)


#: ``compute`` of the code before the dense path (commit 5023c37: sparse LU, SciPy's Schur conversion)
_BEFORE_SMALL = {
    (3, 2.5, 1.0, 5.0, "ising"): {
        "negativity": 0.012703872992564804,
        "average_negativity": 0.012703872992564804,
        "pair_negativity": 0.0,
        "pair_concurrence": 0.0,
        "squeezing_xi2": 2.6117038645660116,
        "toth_margin": 0.209083098875547,
        "negativity_lower_bound": 0.0,
    },
    (6, 0.7, 0.3, 2.0, "heisenberg"): {
        "negativity": 0.0,
        "average_negativity": 0.0,
        "pair_negativity": 0.0,
        "pair_concurrence": 0.0,
        "squeezing_xi2": 1.3225000000000005,
        "toth_margin": 0.36578449905482113,
        "negativity_lower_bound": 0.0,
    },
    (8, 5.0, 1.0, 8.0, "ising"): {
        "negativity": 0.023784010073429934,
        "average_negativity": 0.01988872587655497,
        "pair_negativity": 0.0,
        "pair_concurrence": 0.0,
        "squeezing_xi2": 7.735608758881499,
        "toth_margin": 4.307248357747316,
        "negativity_lower_bound": 0.0,
    },
    (10, 1.2, 0.5, 3.0, "xyz"): {
        "negativity": 0.018851490852384693,
        "average_negativity": 0.015357238812959627,
        "pair_negativity": 0.0,
        "pair_concurrence": 0.0,
        "squeezing_xi2": 3.7715761402321655,
        "toth_margin": 4.3891923608612675,
        "negativity_lower_bound": 0.0,
    },
}


@pytest.mark.parametrize("point", sorted(_BEFORE_SMALL))
def test_small_n_measures_equal_the_code_before(point):
    n, g, gamma, r, kind = point
    ours = R.compute(R.ResetParams(n=n, g=g, gamma=gamma, r=r, hamiltonian=kind).validate(), R.ResetOptions())
    for key, want in _BEFORE_SMALL[point].items():
        assert abs(ours[key] - want) <= 1e-12 * max(1.0, abs(want)), (key, ours[key], want)


_POINTS = [(2.5, 1.0, 5.0), (5.0, 1.0, 8.0), (0.7, 0.3, 2.0)]


@pytest.mark.parametrize("n", range(2, 11))
@pytest.mark.parametrize("kind", ["ising", "heisenberg", "xyz"])
def test_cli_measures_dense_equal_sparse(n, kind, monkeypatch):
    """Every measure of ``compute`` (the ``--json`` object) on the NumPy path equals the SciPy path to 1e-12."""
    points = _POINTS if kind == "ising" else _POINTS[:1]
    opts = R.ResetOptions()
    dense = [R.compute(R.ResetParams(n=n, g=g, gamma=c, r=r, hamiltonian=kind).validate(), opts) for g, c, r in points]
    monkeypatch.setattr(P, "DENSE_MAX_DIM", 0)
    monkeypatch.setattr(S, "DENSE_MAX_DIM", 0)
    sparse = [R.compute(R.ResetParams(n=n, g=g, gamma=c, r=r, hamiltonian=kind).validate(), opts) for g, c, r in points]
    for a, b in zip(dense, sparse):
        for key in R.MEASURES:
            if a[key] is None or b[key] is None:
                assert a[key] is None and b[key] is None, key
            elif key == "residual":
                assert a[key] < 1e-12 and b[key] < 1e-12
            else:
                assert abs(a[key] - b[key]) <= 1e-12 * max(1.0, abs(b[key])), (key, a[key], b[key])


def _plus_reset(rate):
    plus = np.array([1.0, 1.0]) / math.sqrt(2)
    return [(np.outer(plus, [1, 0]), rate), (np.outer(plus, [0, 1]), rate)]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 10])
def test_symmetric_solver_dense_equals_sparse(n):
    model = dict(
        hamiltonian=SymmetricHamiltonian.xyz(0.7, 0.3, 1.0) + SymmetricHamiltonian.field(x=0.4, z=0.2),
        local_jumps=[(sigma_z(), 0.3), (sigma_minus(), 0.2), *_plus_reset(1.5)],
    )
    a = symmetric_steady_state(n=n, **model, method="dense")
    b = symmetric_steady_state(n=n, **model, method="sparse")
    assert a.blocks == b.blocks and a.dimension == b.dimension
    assert np.abs(a.correlations - b.correlations).max() < 1e-12
    assert np.abs(a.rho2 - b.rho2).max() < 1e-12 and abs(a.residual - b.residual) < 1e-12
    sa = S.schur_steady_state(n=n, **model, method="dense")
    sb = S.schur_steady_state(n=n, **model, method="direct")
    assert sa.solver == "dense" and sa.blocks == sb.blocks
    na, nb = sa.negativities(), sb.negativities()
    assert np.abs(na.by_k - nb.by_k).max() < 1e-12 and abs(na.average - nb.average) < 1e-12
    assert 0 < sa.error < 1e-10 and np.all(na.errors < 1e-9)


def test_auto_is_dense_up_to_the_limit_only():
    model = dict(hamiltonian=SymmetricHamiltonian.ising(2.0), local_jumps=[(sigma_z(), 0.5), *_plus_reset(4.0)])
    small = symmetric_steady_state(n=12, **model)
    big = symmetric_steady_state(n=13, **model)
    assert "dense" in small.liouvillian._cache and "dense" not in big.liouvillian._cache
    assert S.schur_steady_state(n=12, **model).solver == "dense"
    assert S.schur_steady_state(n=13, **model).solver == "direct"


def test_dense_path_against_an_independent_qutip_model_n3():
    qt = pytest.importorskip("qutip")
    n, g, gamma, r = 3, 1.7, 0.6, 2.5
    sz, eye = qt.sigmaz(), qt.qeye(2)
    plus = (qt.basis(2, 0) + qt.basis(2, 1)).unit()

    def site(op, i):
        return qt.tensor([op if k == i else eye for k in range(n)])

    h = sum(g * site(sz, i) * site(sz, j) for i in range(n) for j in range(i + 1, n))
    c_ops = [math.sqrt(gamma / 2) * site(sz, i) for i in range(n)]
    c_ops += [math.sqrt(r) * site(plus * qt.basis(2, k).dag(), i) for i in range(n) for k in range(2)]
    rho = qt.steadystate(h, c_ops, method="direct")

    def neg(state, sel):
        ev = qt.partial_transpose(state, sel).eigenenergies()
        return float(-ev[ev < 0].sum())

    rho2 = rho.ptrace([0, 1])
    r2 = rho2.full()
    yy = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
    lam = np.sqrt(np.abs(np.sort(np.linalg.eigvals(r2 @ yy @ r2.conj() @ yy).real)[::-1]))
    conc = max(0.0, lam[0] - lam[1] - lam[2] - lam[3])
    ours = R.compute(R.ResetParams(n=n, g=g, gamma=gamma, r=r).validate(), R.ResetOptions())
    assert abs(ours["negativity"] - neg(rho, [1, 0, 0])) < 1e-9
    assert abs(ours["average_negativity"] - neg(rho, [1, 0, 0])) < 1e-9  # N = 3: every cut is 1 | 2
    assert abs(ours["pair_negativity"] - neg(rho2, [1, 0])) < 1e-9
    assert abs(ours["pair_concurrence"] - conc) < 1e-7


# ----------------------------------------------------------------------------- the dense certificate
def test_dense_certificate_tells_singular_from_ill_conditioned():
    rng = np.random.default_rng(3)
    q1, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    q2, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    b = rng.standard_normal(30)
    singular = q1 @ np.diag(np.r_[np.ones(29), 0.0]) @ q2
    with pytest.raises(NonUniqueSteadyStateError, match="singular to working precision"):
        P._dense_certified_solve(singular, b, what="test")
    nearly = q1 @ np.diag(np.r_[np.ones(29), 1e-11]) @ q2  # cond 1e11: eps * cond > ERROR_BOUND_MAX
    with pytest.raises(IllConditionedError, match="too ill-conditioned"):
        P._dense_certified_solve(nearly, b, what="test")
    fine = q1 @ np.diag(np.r_[np.ones(29), 1e-3]) @ q2
    x, bound, inv = P._dense_certified_solve(fine, b, what="test")
    assert np.allclose(fine @ x, b, atol=1e-12) and bound < 1e-10 and abs(inv - 1e3) < 1e-6


def test_dense_path_keeps_the_structural_errors():
    # dephasing alone conserves the Z populations: structural, before any solve, on either path
    for method in ("dense", "sparse"):
        with pytest.raises(NonUniqueSteadyStateError, match="conserved"):
            symmetric_steady_state(
                n=4, hamiltonian=SymmetricHamiltonian.ising(1.0), local_jumps=[(sigma_z(), 1.0)], method=method
            )


def test_dense_certified_solve_catches_a_traceless_stationary_block():
    # two decoupled copies: the identity's block and a traceless block with a kernel vector
    a = np.zeros((5, 5))
    a[1:3, 1:3] = [[-1.0, 0.5], [0.5, -1.0]]
    a[3:5, 3:5] = [[-1.0, 1.0], [1.0, -1.0]]  # singular: a traceless stationary direction
    with pytest.raises(NonUniqueSteadyStateError):
        P._dense_certified_solve(a[1:, 1:], np.zeros(4), what="test")
    assert P._dense_components(a)[0] == 3  # {0} (an empty row and column), {1, 2}, {3, 4}


def test_dense_method_refuses_what_it_cannot_do():
    from opentangle.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="method"):
        symmetric_steady_state(n=3, local_jumps=[(sigma_minus(), 1.0)], method="lu")
    with pytest.raises(InvalidParameterError, match="dense"):
        symmetric_steady_state(n=3, collective_jumps=[(sigma_minus(), 1.0)], sector=1.5, method="dense")
    with pytest.raises(InvalidParameterError, match="dense"):
        S.schur_steady_state(n=3, collective_jumps=[(sigma_minus(), 1.0)], sector=1.5, method="dense")


@pytest.mark.parametrize("r", [1e-10, 1e-12, 1e-13])
def test_auto_falls_back_to_sparse_where_the_dense_certificate_fails(r):
    """A tiny reset rate: the one dense system (every block) cannot be certified, the block-wise sparse LU can.

    Before the fallback ``auto`` raised IllConditionedError (1e-10, 1e-12) or even NonUniqueSteadyStateError
    (1e-13) for this unique steady state, where the sparse path answers.
    """
    from opentangle.studies.reset.model import symmetric_hamiltonian

    p = R.ResetParams(n=4, g=5.0, gamma=1.0, r=r)
    kw = dict(n=4, hamiltonian=symmetric_hamiltonian(p.hamiltonian, p.g), local_jumps=R.site_jumps(p))
    with pytest.raises((IllConditionedError, NonUniqueSteadyStateError)):
        symmetric_steady_state(**kw, method="dense")
    auto, sparse = symmetric_steady_state(**kw), symmetric_steady_state(**kw, method="sparse")
    assert np.abs(auto.rho2 - sparse.rho2).max() < 1e-14 and auto.residual <= 1e-20
