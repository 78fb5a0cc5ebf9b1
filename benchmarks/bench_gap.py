"""Liouvillian gap: ``spectral_gap`` methods in the same process (issue 19, target 2).

Run (N = 8: about a minute on an idle 2-core machine; N = 10 with ``--no-arnoldi``: about 40 s):

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_gap.py [--n 8] [--hamiltonian ising] [--no-arnoldi]

Model: the reset study's model (``g = 5, gamma = 1, r = 8`` by default).  Rows, on one model whose
Liouvillian is assembled once (its time is printed): ``method="arnoldi"`` (the ARPACK path that was the
default before, traceless deflation, ``nev = 3, ncv = 40``), ``method="blocks"`` (the default above
``D^2 = 256``: strongly connected components, Gershgorin-pruned dense block eigenvalues) and, with
``--spectrum``, ``spectrum(method="sparse")``.  The ratio and the difference of the gaps are printed.
"""

from __future__ import annotations

import argparse
import os
import time

import scipy.sparse as sp

from opentangle.lindblad import liouvillian, spectral_gap, spectrum
from opentangle.studies.reset.model import ResetParams, build_model


def sequential_assembly(model):
    """The Liouvillian assembled as before issue 19's fix: one sparse sum per jump (O(K nnz) copies)."""
    D = model.dim
    heff = model.effective_hamiltonian()
    eye = sp.identity(D, dtype=complex, format="csr")
    L = -1j * (sp.kron(eye, heff) - sp.kron(heff.conj(), eye))
    for j in model.jumps:
        if j.rate > 0:
            L = L + j.rate * sp.kron(j.op.conj(), j.op)
    return sp.csr_matrix(L)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--g", type=float, default=5.0)
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--r", type=float, default=8.0)
    ap.add_argument("--hamiltonian", default="ising")
    ap.add_argument("--no-arnoldi", action="store_true", help="skip the ARPACK row (minutes at N >= 9)")
    ap.add_argument("--spectrum", action="store_true", help="also time spectrum(method='sparse')")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    model = build_model(ResetParams(n=a.n, g=a.g, gamma=a.gamma, r=a.r, hamiltonian=a.hamiltonian))
    t_old = None
    if not a.no_arnoldi:
        t0 = time.perf_counter()
        sequential_assembly(model)
        t_old = time.perf_counter() - t0
    t0 = time.perf_counter()
    L = liouvillian(model)
    t_l = time.perf_counter() - t0
    print(
        f"N={a.n} {a.hamiltonian}: Liouvillian {L.shape[0]} x {L.shape[0]}, nnz {L.nnz}, assembled in {t_l:.2f} s"
        + (f" (sequential sum, the code before: {t_old:.2f} s)" if t_old is not None else "")
    )
    new = spectral_gap(model, method="auto")
    print(f"  spectral_gap(auto -> {new.method!r}) {new.seconds:8.3f} s | gap {new.gap:.12g} | {new!r}", flush=True)
    if not a.no_arnoldi:
        old = spectral_gap(model, method="arnoldi")
        print(
            f"  spectral_gap('arnoldi')        {old.seconds:8.3f} s | gap {old.gap:.12g} | matvecs {old.matvecs} | "
            f"ratio arnoldi/{new.method} {old.seconds / new.seconds:.1f}x (with the assembly: "
            f"{(old.seconds + t_l) / (new.seconds + t_l):.1f}x; old code end to end, sequential assembly + arnoldi: "
            f"{(old.seconds + t_old) / (new.seconds + t_l):.1f}x) | |gap diff| {abs(old.gap - new.gap):.1e}",
            flush=True,
        )
    if a.spectrum:
        t0 = time.perf_counter()
        sp_ = spectrum(model, k=6, method="sparse")
        t_s = time.perf_counter() - t0
        print(
            f"  spectrum('sparse')             {t_s:8.3f} s | gap {sp_.gap:.12g} | |gap diff| {abs(sp_.gap - new.gap):.1e}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
