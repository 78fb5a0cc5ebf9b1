"""Quantum channels: Kraus/Choi representations, twirls and local thermalisations.

See :mod:`opentangle.channels._core` for conventions (Choi matrix with the input
first, Kraus operators ``(d_out, d_in)``), :mod:`opentangle.channels.twirls` for
the isotropic, Werner and GHZ twirls, and :mod:`opentangle.channels.eplt` for
the entanglement-preserving local thermalisation of Hsieh, Lostaglio, Acín (2020).
Thermal states come from :func:`opentangle.states.thermal_state` (re-exported).
"""

from __future__ import annotations

from opentangle.channels._core import (
    Channel,
    apply_channel,
    as_channel,
    check_cptp,
    choi_to_kraus,
    compose,
    from_choi,
    from_function,
    from_kraus,
    identity_channel,
    is_completely_positive,
    is_cptp,
    is_local_thermalization,
    is_trace_preserving,
    kraus_to_choi,
    local_thermalization_error,
    mixture,
    replacement_channel,
    tensor,
    unitary_channel,
)
from opentangle.channels.eplt import (
    as_thermal_state,
    eplt_channel,
    eplt_output,
    fmax_upper_bound,
    ghz_eplt_channel,
    ghz_eplt_output,
    max_gamma,
    mixing_states,
)
from opentangle.channels.named import (
    amplitude_damping_channel,
    dephasing_channel,
    depolarizing_channel,
    erasure_channel,
    is_hermiticity_preserving,
    is_positive,
    is_unital,
    pauli_channel,
)
from opentangle.channels.twirls import (
    ghz_twirl,
    ghz_twirl_channel,
    haar_twirl,
    isotropic_twirl,
    isotropic_twirl_channel,
    werner_twirl,
    werner_twirl_channel,
)
from opentangle.states import thermal_populations, thermal_state

__all__ = [
    "Channel",
    "amplitude_damping_channel",
    "apply_channel",
    "as_channel",
    "as_thermal_state",
    "check_cptp",
    "choi_to_kraus",
    "compose",
    "dephasing_channel",
    "depolarizing_channel",
    "eplt_channel",
    "eplt_output",
    "erasure_channel",
    "fmax_upper_bound",
    "from_choi",
    "from_function",
    "from_kraus",
    "ghz_eplt_channel",
    "ghz_eplt_output",
    "ghz_twirl",
    "ghz_twirl_channel",
    "haar_twirl",
    "identity_channel",
    "is_completely_positive",
    "is_cptp",
    "is_hermiticity_preserving",
    "is_local_thermalization",
    "is_positive",
    "is_trace_preserving",
    "is_unital",
    "isotropic_twirl",
    "isotropic_twirl_channel",
    "kraus_to_choi",
    "local_thermalization_error",
    "max_gamma",
    "mixing_states",
    "mixture",
    "pauli_channel",
    "replacement_channel",
    "tensor",
    "thermal_populations",
    "thermal_state",
    "unitary_channel",
    "werner_twirl",
    "werner_twirl_channel",
]
