"""Fake study whose reproduce never returns (report must time it out)."""

import time

NAME = "hang"
PARAMETERS = {"x": 0.0}
MEASURES = ("value",)


def evaluate(*, x=0.0):
    return {"value": x}


def reproduce(out_dir, *, level):
    time.sleep(600)
