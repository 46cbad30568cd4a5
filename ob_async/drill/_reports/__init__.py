"""Reports rebuilt from a journal (:mod:`.from_journal`), also of a crashed run.

The report model is :mod:`ob_async.drill._report`; its outputs are drawn by the
renderers, :mod:`ob_async.drill._renderers`.
"""
