"""Restore operations: the retry policy, the submitter (one requestId, never twice),
the coalesced poller, the restored tenant's validation and the submit rate cap.
"""
