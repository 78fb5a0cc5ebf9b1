"""Test configuration: ``@pytest.mark.slow`` cases run only with ``SLOW=1``."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI: the same examples on every run (a failure there is reproducible, never a flake); locally random
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SLOW", "0") not in ("", "0"):
        return
    skip = pytest.mark.skip(reason="slow: run with SLOW=1 (make test SLOW=1)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cli_in_process(capsys):
    """Run ``opentangle ARGS`` in this process; return ``(exit_code, stdout, stderr)``."""
    from opentangle.cli import main

    def run(args):
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return run
