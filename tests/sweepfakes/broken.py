"""Fake study whose reproduce crashes (report must show a failed section)."""

NAME = "broken"
PARAMETERS = {"x": 0.0}
MEASURES = ("value",)
SEEDED = False


def evaluate(*, x=0.0):
    return {"value": x}


def reproduce(out_dir, *, level):
    raise RuntimeError("simulated crash in reproduce")
