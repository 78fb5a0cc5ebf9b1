r"""QuTiP idioms: ``(H, c_ops)`` models, named ``e_ops``, measure names, Qobj output, Jupyter HTML.

QuTiP's collapse operators carry the rate inside, :math:`C = \sqrt{\gamma}\,c`; a
:class:`~opentangle.lindblad.model.Jump` carries it outside.  ``(H, c_ops)`` becomes
``Model(hamiltonian=H, jumps=[Jump(C, 1.0) for C in c_ops])``; a time-dependent collapse operator
``[C, f]`` (QuTiP: :math:`f(t)\,C`) becomes ``Jump(C, rate=|f(t)|^2)``.

Qobj rule
---------
Result objects always hold NumPy arrays in ``rho`` / ``states``.  :func:`evolve` returns
``states`` as a list of ``Qobj`` (with the model's dims) when ``as_qobj=True``, and by default
(``as_qobj=None``) exactly when the initial state was a ``Qobj``.  ``Evolution.qobj_states()`` and
``SteadyState``'s ``rho`` converted with :func:`opentangle._convert.to_qutip` give Qobjs on request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from opentangle._convert import _is_qobj
from opentangle._html import line_plot as _svg_plot
from opentangle._html import table as _table
from opentangle.errors import DimensionError, InvalidParameterError

__all__ = ["as_model", "check_state_dims", "model_from_qutip", "resolve_measures"]


def model_from_qutip(H: Any, c_ops: Any = None, *, args: dict | None = None, tlist: Any = None):
    """A :class:`Model` from QuTiP's ``(H, c_ops)``; ``H`` may be QuTiP's list form.

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.operators import sigma_minus, sigma_z
    >>> m = model_from_qutip(sigma_z(), [np.sqrt(0.5) * sigma_minus()])
    >>> float(round(m.jumps[0].rate * abs(m.jumps[0].op).max() ** 2, 12))
    0.5
    """
    from opentangle.lindblad.model import Jump, Model

    if c_ops is None:
        c_ops = []
    if _is_qobj(c_ops) or hasattr(c_ops, "shape"):
        c_ops = [c_ops]
    if not isinstance(c_ops, (list, tuple)):
        raise InvalidParameterError(f"c_ops must be a list of collapse operators; got {type(c_ops).__name__}")
    jumps = []
    for k, c in enumerate(c_ops):
        if isinstance(c, (list, tuple)) and len(c) == 2 and not hasattr(c, "shape") and _looks_like_op(c[0]):
            jumps.append(Jump(c[0], _abs2(c[1], k)))
        else:
            jumps.append(Jump(c, 1.0))
    return Model(hamiltonian=H, jumps=jumps, args=args, tlist=tlist)


def _looks_like_op(x: Any) -> bool:
    return _is_qobj(x) or hasattr(x, "tocsr") or np.ndim(x) == 2


def _abs2(f: Any, k: int) -> Any:
    """The rate :math:`|f(t)|^2` of QuTiP's time-dependent collapse operator ``[C, f]``."""
    from opentangle.lindblad.timedep import Pulse

    if isinstance(f, Pulse):
        return Pulse(f.edges, np.abs(f.values) ** 2, outside=abs(f.outside) ** 2)
    if callable(f):
        import functools
        import inspect

        @functools.wraps(f)
        def rate(t, *a, **kw):
            return abs(f(t, *a, **kw)) ** 2

        rate.__signature__ = inspect.signature(f)  # type: ignore[attr-defined]  # functions accept a __signature__
        return rate
    if isinstance(f, str):
        return f  # refused with a typed error by the Model
    arr = np.asarray(f)
    if arr.ndim == 0:
        raise InvalidParameterError(f"c_ops[{k}]: a constant coefficient belongs inside the operator (sqrt(rate) C)")
    return np.abs(arr) ** 2


def as_model(model: Any, c_ops: Any, where: str, *, args: dict | None = None):
    """``model`` itself, or a Model built from QuTiP's ``(H, c_ops)``."""
    from opentangle.lindblad.model import Model

    if isinstance(model, Model):
        if c_ops is not None:
            raise InvalidParameterError(f"{where}: pass either a Model or (H, c_ops), not a Model and c_ops")
        if args is not None:
            raise InvalidParameterError(f"{where}: args belong to the Model (Model(..., args=...))")
        return model
    if not (_is_qobj(model) or hasattr(model, "tocsr") or isinstance(model, (list, np.ndarray))):
        raise InvalidParameterError(
            f"{where} takes a Model or a Hamiltonian H (Qobj, array or QuTiP list form) with c_ops; "
            f"got {type(model).__name__}"
        )
    return model_from_qutip(model, c_ops, args=args)


def as_static_model(model: Any, c_ops: Any, where: str):
    """:func:`as_model` that refuses time-dependent models (steady-state solvers)."""
    m = as_model(model, c_ops, where)
    if m.time_dependent:
        raise InvalidParameterError(
            f"{where} needs a static model; this one is time-dependent (use periodic_steady_state for a periodic drive, "
            "or evolve)"
        )
    return m


def check_state_dims(rho0: Any, dims: list[int], name: str = "rho0") -> None:
    """Refuse a Qobj whose subsystem dims contradict the model's (``[[4], [4]]`` against ``[2, 2]``)."""
    if not _is_qobj(rho0):
        return
    qd = [int(d) for d in rho0.dims[0]]
    if math.prod(qd) == math.prod(dims) and qd != list(dims):
        raise DimensionError(
            f"{name} is a Qobj with dims {qd} but the model's subsystems are {list(dims)}; "
            f"build the state with matching dims (e.g. qutip.tensor of the subsystems) or pass a plain array"
        )


def _measure_from_name(name: str, dims: list[int]) -> Callable[[np.ndarray], float]:
    from opentangle import measures as ms

    part = None
    key = name.lower().replace("-", "_").replace(" ", "_")
    if key in ("negativity", "log_negativity"):
        f = getattr(ms, key)
        return lambda r: f(r, dims)
    if key in ("concurrence", "entanglement_of_formation"):
        if dims != [2, 2]:
            raise DimensionError(f"measure {name!r} is defined for two qubits; the model has dims {dims}")
        f = getattr(ms, key)
        return lambda r: f(r, dims)
    if key in ("purity",):
        return lambda r: float(np.real(np.vdot(r, r)))
    if key in ("entropy", "von_neumann_entropy"):
        return lambda r: float(ms.von_neumann_entropy(r))
    if key in ("min_pt_eigenvalue", "partial_transpose_min"):
        from opentangle.lindblad.threshold import min_pt_eigenvalue

        return lambda r: min_pt_eigenvalue(r, dims, part)
    raise InvalidParameterError(
        f"unknown measure name {name!r}; use 'negativity', 'log_negativity', 'concurrence', "
        "'entanglement_of_formation', 'purity', 'entropy', 'min_pt_eigenvalue' or pass a callable f(rho)"
    )


def resolve_measures(items: Any, dims: list[int]) -> list[tuple[str, Callable]]:
    """``[(name, f(rho))]`` from a name, a callable, a list of them or a ``{name: f}`` dict."""
    if items is None:
        return []
    if isinstance(items, str) or callable(items):
        items = [items]
    pairs = list(items.items()) if isinstance(items, Mapping) else [(None, v) for v in items]
    out = []
    for i, (k, v) in enumerate(pairs):
        if isinstance(v, str):
            out.append((str(k) if k is not None else v, _measure_from_name(v, dims)))
        elif callable(v):
            out.append((str(k) if k is not None else (getattr(v, "__name__", None) or f"measure{i}"), v))
        else:
            raise InvalidParameterError(f"measure {k or i!r} must be a name or a callable f(rho) -> value")
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise InvalidParameterError(f"measure names must be distinct; got {names}")
    return out


# ----------------------------------------------------------------------------- Jupyter


def evolution_html(ev: Any) -> str:
    rows = [
        ("times", f"{ev.times.size} from {ev.times[0]:g} to {ev.times[-1]:g}"),
        ("path", ev.path),
        ("method", ev.method),
        ("states", "not stored" if ev.states is None else f"{len(ev.states)} stored"),
    ]
    series: dict[str, np.ndarray] = {}
    for name, row in ev.expect_named.items():
        series[name] = np.asarray(row)
        rows.append((f"<{name}> final", f"{np.real(row[-1]):.6g}"))
    for name, v in ev.measures.items():
        v = np.asarray(v)
        if v.ndim == 1:
            series[name] = v
            rows.append((f"{name} final", f"{float(np.real(v[-1])):.6g}"))
    return _table(rows, "Evolution") + _svg_plot(np.asarray(ev.times), series)


def steady_state_html(ss: Any) -> str:
    rows = [("dims", str(ss.dims)), ("method", str(ss.method)), ("residual", f"{ss.residual:.3e}")]
    if getattr(ss, "tolerance", None) is not None:
        rows.append(("tolerance", f"{ss.tolerance:.1e}"))
    if getattr(ss, "min_eigenvalue", None) is not None:
        rows.append(("min eigenvalue", f"{ss.min_eigenvalue:.3e}"))
    rho = np.asarray(ss.rho)
    rows.append(("purity", f"{float(np.real(np.vdot(rho, rho))):.6g}"))
    if list(ss.dims) == [2, 2]:
        from opentangle.measures import concurrence

        rows.append(("concurrence", f"{concurrence(rho, [2, 2]):.6g}"))
    rows.append(("seconds", f"{getattr(ss, 'seconds', 0.0):.3g}"))
    return _table(rows, "SteadyState")


def spectrum_html(sp_: Any) -> str:
    rows = [("gap", f"{sp_.gap:.6g}")]
    rows += [(f"lambda_{i}", f"{z.real:.6g} {z.imag:+.6g}i") for i, z in enumerate(sp_.eigenvalues[:8])]
    return _table(rows, "Spectrum")
