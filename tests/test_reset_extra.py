"""The reset study's extra figures: Heisenberg closed form and Fig. 3's Poisson mean (opentangle.studies.reset.figures_beyond)."""

from __future__ import annotations

import numpy as np
import pytest

from opentangle.studies.reset import figures_beyond as X


@pytest.mark.parametrize("g, r, gamma", [(0.3, 0.5, 1.0), (5.0, 20.0, 1.0), (2.0, 1.0, 0.0)])
def test_heisenberg_closed_form_against_qutip(g, r, gamma):
    """Independent oracle: QuTiP's steadystate of the Heisenberg reset model, built here from scratch."""
    qt = pytest.importorskip("qutip")
    sx, sy, sz, i2 = qt.sigmax(), qt.sigmay(), qt.sigmaz(), qt.qeye(2)
    h = g * sum(qt.tensor(s, s) for s in (sx, sy, sz))
    plus = (qt.basis(2, 0) + qt.basis(2, 1)).unit()
    c = []
    for site in range(2):
        for k in range(2):
            op = np.sqrt(r) * plus * qt.basis(2, k).dag()
            c.append(qt.tensor(op, i2) if site == 0 else qt.tensor(i2, op))
        if gamma:
            z = qt.tensor(sz, i2) if site == 0 else qt.tensor(i2, sz)
            c.append(np.sqrt(gamma / 2) * z)
    rho = qt.steadystate(h, c).full()
    assert np.allclose(rho, X.heisenberg_steady_state(2, r=r, gamma=gamma), atol=1e-8)


def test_heisenberg_product_state_commutes_with_h_and_bad_input():
    from opentangle.errors import InvalidParameterError
    from opentangle.studies import reset as R

    rho = X.heisenberg_steady_state(3, r=0.7)
    h = R.hamiltonian(3, "heisenberg", g=1.3).toarray()
    assert np.allclose(h @ rho, rho @ h) and np.trace(rho).real == pytest.approx(1)
    with pytest.raises(InvalidParameterError):
        X.heisenberg_steady_state(2, r=0.0, gamma=0.0)


def test_poisson_weights_mean():
    w = X.poisson_weights_mean(4.0)
    import math

    ref = np.array([4.0**n / math.factorial(n) for n in range(2, 7)])
    assert np.allclose(w, ref / ref.sum()) and w.sum() == pytest.approx(1)
