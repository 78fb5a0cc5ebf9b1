"""Liouvillian gap end to end: ``spectral_gap`` of the reset model, this tree against an old tree (issue 19, target 2).

Run (each row a fresh process: import, model building, gap; wall, CPU and peak RSS printed):

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_gap.py --n 10 --old /work/main/src [--assembly] [--arnoldi]

Model: the reset study's model (``g = 5, gamma = 1, r = 8`` by default).  ``--old`` repeats the
end-to-end row on another source tree in the same run and prints the ratio and the gap difference;
``--assembly`` times ``liouvillian`` (per-site path) against the Kronecker + COO-sum assembly it
replaced; ``--arnoldi`` times the ARPACK path against the default (minutes at ``N >= 9``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

from opentangle.lindblad import liouvillian, spectral_gap
from opentangle.studies.reset.model import ResetParams, build_model


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def kron_assembly(model):
    """The Liouvillian as assembled before the per-site path: Kronecker products, one COO -> CSR sum."""
    D = model.dim
    heff = model.effective_hamiltonian()
    eye = sp.identity(D, dtype=complex, format="csr")
    terms = [(-1j, sp.kron(eye, heff, format="coo")), (1j, sp.kron(heff.conj(), eye, format="coo"))]
    terms += [(j.rate, sp.kron(j.op.conj(), j.op, format="coo")) for j in model.jumps if j.rate > 0]
    rows = np.concatenate([t.row for _, t in terms])
    cols = np.concatenate([t.col for _, t in terms])
    data = np.concatenate([c * t.data for c, t in terms])
    L = sp.csr_matrix((data, (rows, cols)), shape=(D * D, D * D))
    L.sum_duplicates()
    return L


END_TO_END = """
import resource, sys, time
t0 = time.perf_counter()
from opentangle.lindblad import spectral_gap
from opentangle.studies.reset.model import ResetParams, build_model
m = build_model(ResetParams(n={n}, g={g}, gamma={gamma}, r={r}, hamiltonian={h!r}))
res = spectral_gap(m)
ru = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, res.gap, res.method)
"""


def end_to_end(src: str, a) -> tuple[float, float, float, float, str]:
    """Model building plus ``spectral_gap(model)`` (default method) in a fresh process on source tree ``src``."""
    code = END_TO_END.format(n=a.n, g=a.g, gamma=a.gamma, r=a.r, h=a.hamiltonian)
    env = dict(os.environ, PYTHONPATH=src, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    wall, cpu_s, rss, gap, method = out.stdout.split()
    return float(wall), float(cpu_s), float(rss) / 1e6, float(gap), method


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--g", type=float, default=5.0)
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--r", type=float, default=8.0)
    ap.add_argument("--hamiltonian", default="ising")
    ap.add_argument("--old", help="also run the end-to-end row on this source tree (e.g. /work/main/src)")
    ap.add_argument("--assembly", action="store_true", help="time the Liouvillian assembly, per-site vs Kronecker")
    ap.add_argument("--arnoldi", action="store_true", help="also time method='arnoldi' (minutes at N >= 9)")
    a = ap.parse_args()
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    trees = [("this tree", here)] + ([("old tree", a.old)] if a.old else [])
    rows = {}
    for name, src in trees:  # fresh processes: import, model, gap (what a user's script pays)
        rows[name] = end_to_end(src, a)
        wall, cpu_s, rss, gap, method = rows[name]
        print(
            f"N={a.n} end to end, {name:9s}: wall {wall:7.2f} s  CPU {cpu_s:7.2f} s  peak RSS {rss:.2f} GB  "
            f"gap {gap:.12g} ({method})  load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    if a.old:
        new, old = rows["this tree"], rows["old tree"]
        print(
            f"  ratio old/new: wall {old[0] / new[0]:.1f}x, CPU {old[1] / new[1]:.1f}x; |gap diff| {abs(old[3] - new[3]):.1e}"
        )
    model = build_model(ResetParams(n=a.n, g=a.g, gamma=a.gamma, r=a.r, hamiltonian=a.hamiltonian))
    if a.assembly:
        for name, fn in (("per-site (liouvillian)", liouvillian), ("Kronecker + COO sum", kron_assembly)):
            t0, c0 = time.perf_counter(), cpu()
            L = fn(model)
            print(f"  assembly {name:24s} wall {time.perf_counter() - t0:6.2f} s  CPU {cpu() - c0:6.2f} s  nnz {L.nnz}")
            del L
    if a.arnoldi:
        new = spectral_gap(model)
        old = spectral_gap(model, method="arnoldi")
        print(
            f"  spectral_gap('arnoldi') {old.seconds:8.3f} s | gap {old.gap:.12g} | matvecs {old.matvecs} | "
            f"default ({new.method}) {new.seconds:.3f} s: ratio {old.seconds / new.seconds:.1f}x | "
            f"|gap diff| {abs(old.gap - new.gap):.1e}",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
