"""Time the PPT-mixture GME program on GHZ_N + white noise (p = threshold + 0.02).

Usage: PYTHONPATH=src python benchmarks/bench_gme.py SOLVER N [N ...]   (SOLVER: clarabel | scs)
N <= 4 also runs the full program; larger N pass the state as SymmetricBlocks (no 2^N matrix).
Prints the certified value against the closed form -((2^N - 1) p - (2^(N-1) - 1)) / 2^N.
"""

import sys
import time

import numpy as np

from opentangle.measures import SymmetricBlocks, _schur, genuine_entanglement
from opentangle.states import ghz_state


def ghz_noise_blocks(n, p):
    blocks = {j: (1 - p) * np.eye(round(2 * j + 1)) / 2**n for j in _schur.spins(n)}
    g = np.zeros(n + 1)
    g[[0, -1]] = 1 / np.sqrt(2)
    blocks[n / 2] = blocks[n / 2] + p * np.outer(g, g)
    return SymmetricBlocks(n, blocks)


def main(solver, ns):
    for n in ns:
        p = (2 ** (n - 1) - 1) / (2**n - 1) + 0.02
        exact = -((2**n - 1) * p - (2 ** (n - 1) - 1)) / 2**n
        runs = [("symmetric", ghz_noise_blocks(n, p), {})]
        if n <= 4:
            runs.append(("full", p * ghz_state(n) + (1 - p) * np.eye(2**n) / 2**n, {"symmetric": False}))
        for label, state, kw in runs:
            t = time.perf_counter()
            r = genuine_entanglement(state, solver=solver, **kw)
            print(
                f"{solver} N={n} {label}: certified={r.entangled} value={r.value:.8f} exact={exact:.8f} "
                f"time={time.perf_counter() - t:.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1], [int(x) for x in sys.argv[2:]])
