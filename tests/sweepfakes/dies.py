"""Fake study whose process dies hard in reproduce (like a segfault)."""

import os

NAME = "dies"
PARAMETERS = {"x": 0.0}
MEASURES = ("value",)


def evaluate(*, x=0.0):
    return {"value": x}


def reproduce(out_dir, *, level):
    (out_dir / "partial.png").write_bytes(b"not a png")
    os._exit(3)
