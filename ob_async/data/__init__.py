"""Proving the data of a restored tenant: SQL checks and the measured RPO, over the MySQL protocol.

After a restore is ONLINE, :class:`~ob_async.data.verify.DataVerifier` finds the
tenant's address, logs in with the plan's tenant user, runs the plan's
read-only checks and its RPO query, and returns a
:class:`~ob_async.data.results.DataVerdict`. The statement rules and the
expectation grammar live in :mod:`.statements` and :mod:`.expectations`.
"""
