"""Benchmark of opentangle.spins (ensembles study): window error and speed.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ensembles.py [--curve 200] [--workers 2]
      [--generic 400] [--dense-check] [--dephased]
      OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ensembles.py --target [--workers 2] [--every 40] [--times 400]
          [--compare OLD/src] [--no-banded] [--side-by-side]

1. error of E(t) against the window half-width w (N = 2000 against the full Fock
   basis; N = 10^6 against a w = 4.5 window);
2. speed against references measured in the same run: QuTiP (ptrace + entropy_vn
   of the full state) at small N, dense eigvalsh of the windowed reduced state at
   N = 10^4, and the fast path alone at N = 10^6 (single point, E(t) curve);
3. peak memory (ru_maxrss);
4. (--target) issue 19 target 6: 400 generic times at N = 10^6 (``np.linspace(0.01, 2 pi, 400)
   + sqrt(2) 1e-3``) by ``entropy_curve`` (log-det path) against the spectral path
   (``method="banded"``, the previous default) on every ``--every``-th time, in the same run,
   with the load average, wall and CPU seconds and the largest reported error bound;
5. (--dephased) the dephased log-negativity at magic times: the fiber bracket against the
   dense density matrix at N = 40 (both in this run), and its cost at N = 10^4, 10^6.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from opentangle.spins import binomial_amplitudes, coherent_overlap, entropy_curve, pure_entanglement


def full_basis_entropy(n: int, t: float) -> float:
    k = np.arange(n + 1)
    c = binomial_amplitudes(n, k)
    ev = np.linalg.eigvalsh(np.outer(c, c) * coherent_overlap(n, (k[:, None] - k[None, :]) * t))
    ev = ev[ev > 0]
    return float(-np.sum(ev * np.log2(ev)))


def timed(f, *a, **kw):
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--curve", type=int, default=40, help="points of the N = 1e6 E(t) curve (200 for the target)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--generic", type=int, default=40, help="generic times of the N = 1e6 curve (400 for the target)")
    ap.add_argument("--dense-check", action="store_true", help="compare one generic time with the dense window (slow)")
    ap.add_argument("--dephased", action="store_true", help="only the dephased log-negativity section")
    ap.add_argument("--target", action="store_true", help="only the issue-19 400-time curve against the old path")
    ap.add_argument("--every", type=int, default=40, help="(--target) time the old path on every k-th time")
    ap.add_argument("--times", type=int, default=400, help="(--target) generic times of the curve")
    ap.add_argument(
        "--compare",
        metavar="SRC",
        help="(--target) also run entropy_curve of another source tree (e.g. main's src) "
        "on every --every-th time, in a subprocess of this run (wall and CPU seconds, |dE|)",
    )
    ap.add_argument("--no-banded", action="store_true", help="(--target) skip the method='banded' reference")
    ap.add_argument(
        "--side-by-side",
        action="store_true",
        help="(--target --compare SRC) run the whole curve of this tree and of SRC at the same time, one subprocess "
        "each (the same load for both), instead of the sections above",
    )
    args = ap.parse_args()
    if args.dephased:
        dephased_section()
        return
    if args.target and args.side_by_side and args.compare:
        side_by_side(args.compare, args.workers, args.times)
        return
    if args.target:
        target_section(args.workers, args.every, args.times, args.compare, not args.no_banded)
        return

    print("== 1. error against the window half-width w ==")
    ts = (1.0, np.pi / 2 + 1e-3, 2.2)
    n = 2000
    ref = {t: full_basis_entropy(n, t) for t in ts}
    print(f"N={n} (reference: full Fock basis, {n + 1} states)")
    print(f"{'w':>5} {'window':>7} {'discarded':>10} " + " ".join(f"|dE| t={t:.4f}" for t in ts))
    for w in (1.5, 2.0, 2.5, 3.0, 3.5, 4.0):
        rs = [pure_entanglement(n, t, w=w) for t in ts]
        print(
            f"{w:5.1f} {rs[0].window.size:7d} {rs[0].discarded_weight:10.2e} "
            + " ".join(f"{abs(r.entropy - ref[t]):14.2e}" for r, t in zip(rs, ts))
        )
    n = 10**6
    ts6 = (1.0, 0.3)
    ref6 = {t: pure_entanglement(n, t, w=4.5).entropy for t in ts6}
    print(f"N={n} (reference: w = 4.5)")
    for w in (2.0, 2.5, 3.0, 3.5, 4.0):
        rs = [pure_entanglement(n, t, w=w) for t in ts6]
        print(
            f"{w:5.1f} {rs[0].window.size:7d} {rs[0].discarded_weight:10.2e} "
            + " ".join(f"{abs(r.entropy - ref6[t]):14.2e}" for r, t in zip(rs, ts6))
        )

    print("\n== 2. speed (ratios measured in this run) ==")
    try:
        import qutip as qt

        for n in (40, 80):
            t = 1.0
            k = np.arange(n + 1)
            c = binomial_amplitudes(n, k)

            def qutip_entropy(c=c, k=k, t=t, n=n):
                psi = qt.Qobj(
                    (np.outer(c, c) * np.exp(1j * np.outer(k, k) * t)).reshape(-1, 1), dims=[[n + 1, n + 1], [1, 1]]
                )
                return qt.entropy_vn(psi.ptrace(0), base=2)

            eq, tq = timed(qutip_entropy)
            eo, to = timed(lambda n=n, t=t: pure_entanglement(n, t, tol=1e-15).entropy)
            print(
                f"N={n:>5}: qutip {tq:.4f} s, opentangle {to:.4f} s, ratio qutip/opentangle = {tq / to:6.1f}, "
                f"|dE| = {abs(eq - eo):.1e}"
            )
    except ImportError:  # pragma: no cover
        print("qutip not installed: skipped")
    n, t = 10**4, 1.0
    r, tf = timed(pure_entanglement, n, t)
    rd, td = timed(pure_entanglement, n, t, method="dense")
    print(
        f"N={n}: window {r.window.size}, fast ({r.method}, b={r.bandwidth}) {tf:.3f} s, dense eigvalsh {td:.3f} s, "
        f"ratio dense/fast = {td / tf:.1f}, |dE| = {abs(r.entropy - rd.entropy):.1e}"
    )
    n = 10**6
    # 1e-3 and 2 pi - 1e-3 have b = 31 (the padded band-storage case; 5 s before the fix)
    for t in (1.0, 0.3, np.pi / 2, 2 * np.pi / 3, 2 * np.pi / 50 + 1e-5, 1e-3, 2 * np.pi - 1e-3):
        r, tp = timed(pure_entanglement, n, t)
        print(
            f"N=1e6 t={t:.6f}: E={r.entropy:.6f} bits, {r.method:8s} b={r.bandwidth:4d} rank={r.rank:5d} "
            f"window={r.window.size} time {tp:.3f} s"
        )
    ts = np.linspace(0, 2 * np.pi, args.curve)
    _es, tc = timed(entropy_curve, n, ts, workers=args.workers)
    print(
        f"N=1e6 E(t) curve on linspace (rational times 2 pi j/{args.curve - 1}): {args.curve} points in {tc:.1f} s "
        f"({tc / args.curve:.3f} s/point, workers={args.workers})"
    )
    from opentangle.studies.ensembles import generic_times

    tg = generic_times(args.generic)
    eg, tgc = timed(entropy_curve, n, tg, workers=args.workers)
    print(
        f"N=1e6 E(t) curve at {args.generic} generic times 2 pi (j + g)/n: {tgc:.1f} s "
        f"({tgc / args.generic:.3f} s/point, "
        f"workers={args.workers}); extrapolated 400 times: {400 * tgc / args.generic:.0f} s (issue-19 target: 30 s); "
        f"E in [{eg.min():.4f}, {eg.max():.4f}] bits"
    )
    if args.dense_check:
        t = float(tg[len(tg) // 3])
        (ef, tf), (ed, td) = timed(pure_entanglement, n, t), timed(pure_entanglement, n, t, method="dense")
        print(
            f"N=1e6 t={t:.6f}: fast {tf:.2f} s, dense window {td:.1f} s, |dE| = {abs(ef.entropy - ed.entropy):.1e} "
            "(target 1e-8)"
        )
    print(f"\n== 3. peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB ==")


def _cpu() -> float:
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _load() -> str:
    import os

    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def _other_tree(src: str, n: int, ts: np.ndarray, workers: int) -> tuple[np.ndarray, float, float]:
    """``entropy_curve`` of the source tree ``src`` in a subprocess: ``(E, wall s, CPU s of the subprocess tree)``."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, sys, numpy as np; from opentangle.spins import entropy_curve; "
        f"ts = np.array(json.loads(sys.argv[1])); print(json.dumps(entropy_curve({n}, ts, workers={workers}).tolist()))"
    )
    env = dict(os.environ, PYTHONPATH=src, OMP_NUM_THREADS="1")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(ts.tolist())], env=env, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    return np.array(json.loads(out.stdout.strip().splitlines()[-1])), wall, cpu


_CURVE_CODE = (
    "import json, os, resource, sys, time, numpy as np; from opentangle.spins import entropy_curve; "
    "ts = np.array(json.loads(sys.argv[1])); t0 = time.perf_counter(); "
    "e, err = entropy_curve(10**6, ts, workers=int(sys.argv[2]), with_error=True); wall = time.perf_counter() - t0; "
    "r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(json.dumps({'e': e.tolist(), 'err': err.tolist(), 'wall': wall, "
    "'cpu': r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime}))"
)


def side_by_side(src: str, workers: int, times: int) -> None:
    """The 400-time curve of this tree and of ``src`` at once (each a subprocess with ``workers`` workers)."""
    import json
    import os
    import subprocess
    import sys

    import opentangle

    here = os.path.dirname(os.path.dirname(os.path.abspath(opentangle.__file__)))
    ts = np.linspace(0.01, 2 * np.pi, 400)[:: max(1, 400 // times)] + np.sqrt(2) * 1e-3
    print(f"== issue 19 target 6 side by side: N = 1e6, {ts.size} times, workers={workers} each ==")
    print(f"[{_load()}] before")
    procs = {
        tree: subprocess.Popen(
            [sys.executable, "-c", _CURVE_CODE, json.dumps(ts.tolist()), str(workers)],
            env=dict(os.environ, PYTHONPATH=tree, OMP_NUM_THREADS="1"),
            stdout=subprocess.PIPE,
            text=True,
        )
        for tree in (here, src)
    }
    out = {tree: json.loads(p.communicate()[0].strip().splitlines()[-1]) for tree, p in procs.items()}
    for tree, r in out.items():
        print(
            f"{tree}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU (start-up included), "
            f"largest error bound {max(r['err']):.1e} bits"
        )
    print(
        f"[{_load()}] ratio (CPU) = {out[src]['cpu'] / out[here]['cpu']:.2f}x; max |dE| = "
        f"{np.abs(np.array(out[src]['e']) - np.array(out[here]['e'])).max():.1e} bits"
    )


def target_section(workers: int, every: int, times: int, compare: str | None = None, banded: bool = True) -> None:
    n = 10**6
    ts = np.linspace(0.01, 2 * np.pi, 400)[:: max(1, 400 // times)] + np.sqrt(2) * 1e-3
    sub = ts[::every]
    print(f"== issue 19 target 6: N = 1e6, {ts.size} generic times, workers={workers} ==")
    print(f"[{_load()}] before")
    c0 = _cpu()
    (e_new, err), t_new = timed(entropy_curve, n, ts, workers=workers, with_error=True)
    c1 = _cpu()
    print(
        f"[{_load()}] log-det path (entropy_curve, method='auto'): {t_new:.1f} s wall, {c1 - c0:.1f} s CPU "
        f"for {ts.size} times ({t_new / ts.size:.3f} s/time); largest error bound {err.max():.1e} bits"
    )
    if compare:
        import os

        import opentangle

        here = os.path.dirname(os.path.dirname(os.path.abspath(opentangle.__file__)))
        # both trees on the same subset, each in a subprocess (the same start-up cost), one after the other
        e_cmp, w_cmp, c_cmp = _other_tree(compare, n, sub, workers)
        _e_here, w_here, c_here = _other_tree(here, n, sub, workers)
        print(
            f"[{_load()}] {compare} entropy_curve (subprocess, workers={workers}) on {sub.size} of the times: "
            f"{w_cmp:.1f} s wall, {c_cmp:.1f} s CPU; this tree on the same times, same harness: {w_here:.1f} s wall, "
            f"{c_here:.1f} s CPU; ratio (CPU, same subset) = {c_cmp / c_here:.2f}x; scaled to {ts.size} times: "
            f"{c_cmp * ts.size / sub.size:.0f} s CPU (start-up included); max |dE| = "
            f"{np.abs(e_cmp - e_new[::every]).max():.1e} bits"
        )
    if not banded:
        return
    c1 = _cpu()
    e_old, t_old = timed(entropy_curve, n, sub, workers=workers, method="banded")
    c2 = _cpu()
    scaled = t_old * ts.size / sub.size
    print(
        f"[{_load()}] spectral path (method='banded', eigvals_banded) on {sub.size} of the times: {t_old:.1f} s wall, "
        f"{c2 - c1:.1f} s CPU; scaled to {ts.size} times: {scaled:.0f} s wall"
    )
    diff = np.abs(e_new[::every] - e_old)
    print(
        f"ratio old/new (wall, same run) = {scaled / t_new:.1f}x; max |E_logdet - E_banded| = {diff.max():.1e} bits "
        f"on the {sub.size} shared times (the banded path's own truncation bound is ~2e-8 bits)"
    )


def dephased_section() -> None:
    import math

    from opentangle.spins import dephased_log_negativity

    print("== 4. dephased log-negativity at t = 2 pi / L (fiber bracket vs dense) ==")
    for L in (2, 3):
        t = 2 * math.pi / L
        for g in (0.01, 0.05, 0.2):
            (rd, td), (rf, tf) = (
                timed(dephased_log_negativity, 40, t, g, method="dense", tol=1e-14),
                timed(dephased_log_negativity, 40, t, g, method="fiber"),
            )
            inside = rf.lower - rf.quadrature_error <= rd.value <= rf.upper + rf.quadrature_error
            print(
                f"L={L} gamma={g:<5} N=40: dense {rd.value:.6f} ({td:.2f} s), fiber [{rf.lower:.6f}, {rf.upper:.6f}] "
                f"({tf:.2f} s), dense inside: {inside}"
            )
            for n in (10**4, 10**6):
                r, tn = timed(dephased_log_negativity, n, t, g)
                print(f"    N={n:>7}: {r.value:.8f} +/- {r.error_bound:.1e} bits ({r.method}, {tn:.2f} s)")


if __name__ == "__main__":
    main()
