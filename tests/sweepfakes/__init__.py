"""Test-only studies for the sweep, plot and report tests (engineer F).

They follow the study interface of CONTRIBUTING.md (Studies) and are importable by
dotted path (``sweepfakes.grid``) from subprocesses and Dask workers when
``tests/`` is on PYTHONPATH.
"""
