"""Benchmark opentangle.channels against QuTiP, measured in the same process.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_channels.py``.
Prints ratios (QuTiP time / opentangle time; > 1 means opentangle is faster)
and the largest difference between the two results.
"""

from __future__ import annotations

import timeit

import numpy as np
import qutip

from opentangle.channels import eplt_channel, eplt_output, from_kraus
from opentangle.operators import random_unitary
from opentangle.states import random_density_matrix


def best(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def main() -> None:
    print(f"{'case':46s} {'opentangle':>12s} {'qutip':>12s} {'ratio':>7s} {'max|diff|':>10s}")
    for d, k in ((4, 4), (9, 3), (16, 4)):
        u = random_unitary(d * k, seed=d)[:, :d]
        kraus = [u[i * d : (i + 1) * d] for i in range(k)]
        ch = from_kraus(kraus)
        rho = random_density_matrix(d, seed=1)
        qk = [qutip.Qobj(x) for x in kraus]
        s = qutip.kraus_to_super(qk)
        qr = qutip.Qobj(rho)
        ours = ch(rho)
        ref = qutip.vector_to_operator(s * qutip.operator_to_vector(qr)).full()
        t_ours = best(lambda ch=ch, rho=rho: ch(rho), 200)
        t_ref = best(lambda s=s, qr=qr: qutip.vector_to_operator(s * qutip.operator_to_vector(qr)), 200)
        print(
            f"{f'apply, d={d}, {k} Kraus (prebuilt)':46s} {t_ours:12.2e} {t_ref:12.2e} "
            f"{t_ref / t_ours:7.2f} {np.abs(ours - ref).max():10.1e}"
        )
        t_ours = best(lambda kraus=kraus: from_kraus(kraus, check=False), 50)
        t_ref = best(lambda qk=qk: qutip.kraus_to_super(qk), 50)
        print(f"{f'build from Kraus, d={d}':46s} {t_ours:12.2e} {t_ref:12.2e} {t_ref / t_ours:7.2f}")
    # E_gamma: closed-form fast path vs the Choi channel vs QuTiP superoperator of the same Choi
    for d in (2, 3, 4):
        p = np.exp(-np.arange(d))
        p /= p.sum()
        ch = eplt_channel(p, p)
        rho = random_density_matrix(d * d, seed=2)
        s = qutip.kraus_to_super([qutip.Qobj(x) for x in ch.kraus()])
        qr = qutip.Qobj(rho)
        ref = qutip.vector_to_operator(s * qutip.operator_to_vector(qr)).full()
        fast = eplt_output(rho, p, p)
        t_fast = best(lambda rho=rho, p=p: eplt_output(rho, p, p), 200)
        t_ref = best(lambda s=s, qr=qr: qutip.vector_to_operator(s * qutip.operator_to_vector(qr)), 200)
        print(
            f"{f'E_gamma closed form vs qutip super, d={d}':46s} {t_fast:12.2e} {t_ref:12.2e} "
            f"{t_ref / t_fast:7.2f} {np.abs(fast - ref).max():10.1e}"
        )
        batch = np.stack([random_density_matrix(d * d, seed=s_) for s_ in range(1000)])
        qb = [qutip.operator_to_vector(qutip.Qobj(x)) for x in batch]
        t_fast = best(lambda batch=batch, p=p: eplt_output(batch, p, p), 3)
        t_ch = best(lambda ch=ch, batch=batch: ch(batch), 3)
        t_ref = best(lambda s=s, qb=qb: [qutip.vector_to_operator(s * v) for v in qb], 3)
        print(f"{'  1000 inputs: closed form (batched)':46s} {t_fast:12.2e} {t_ref:12.2e} {t_ref / t_fast:7.2f}")
        print(f"{'  1000 inputs: Choi channel (batched)':46s} {t_ch:12.2e} {t_ref:12.2e} {t_ref / t_ch:7.2f}")


if __name__ == "__main__":
    main()
