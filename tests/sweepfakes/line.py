"""Fake seeded pointwise study with an optional delay (for kill/resume tests)."""

from __future__ import annotations

import os
import time

import numpy as np

from opentangle.errors import ConvergenceError, InvalidParameterError

NAME = "line"
PARAMETERS = {"x": 0.0, "y": 0.0, "delay": 0.0, "n": 2, "fail_above": 1e9}
MEASURES = ("value", "noise", "label", "vec")
SEEDED = True


def evaluate(*, x=0.0, y=0.0, delay=0.0, n=2, fail_above=1e9, seed=0):
    if delay < 0:
        raise InvalidParameterError("delay must be >= 0")
    log = os.environ.get("SWEEPFAKES_CALL_LOG")
    if delay:
        time.sleep(delay)
    if x > fail_above:
        raise ConvergenceError(f"did not converge at x={x}")
    noise = float(np.random.default_rng(seed).random())
    if log:
        with open(log, "a") as fh:
            fh.write(f"{x!r} {y!r}\n")
    return {"value": float(np.sin(x) + y * n), "noise": noise, "label": f"n{n}", "vec": [x, y]}
