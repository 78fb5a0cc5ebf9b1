"""Fake study with awkward measures: one echoes a parameter (like thermalize's ``gamma``),
one is an int at some points and a float at others."""

from __future__ import annotations

NAME = "mixed"
PARAMETERS = {"x": 0.0, "gamma": 1.0}
MEASURES = ("gamma", "count", "output_negativity")
SEEDED = False


def evaluate(*, x=0.0, gamma=1.0):
    count = 0 if x < 0.5 else x + 0.25  # int 0 first, floats later: must not become int64
    return {"gamma": float(gamma), "count": count, "output_negativity": max(0.0, x - gamma / 2)}
