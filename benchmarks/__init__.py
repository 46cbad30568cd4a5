"""ob-async's benchmarks: the performance rules in user terms, measured against the simulator.

``python -m benchmarks [--quick]`` runs the three of issue 23 and prints their
figures and goals (:mod:`benchmarks.__main__`); each also runs alone:

- :mod:`benchmarks.steady_rate`: the client's share of one core at 100 requests/s;
- :mod:`benchmarks.drill`: a 10,000-restore drill's CPU per restore and peak memory;
- :mod:`benchmarks.ratelimit`: drills at the API's rate limit, against the simulator's truth.

Others measure one thing each, alone: :mod:`benchmarks.polling` (the coalesced
poller's requests against one describe per waiting tenant),
:mod:`benchmarks.plan_loading` and :mod:`benchmarks.html_report` (how a plan's
loading and the HTML report scale). Results are printed, never stored here: the
current figures are in ``docs/performance.md``.
"""
