"""ob-async's benchmarks (issue #6): ``python -m benchmarks [--quick]`` or ``nox -s bench``.

See :mod:`benchmarks.harness` for what runs, and ``benchmarks/RESULTS.md`` for
the numbers of the last full run.
"""
