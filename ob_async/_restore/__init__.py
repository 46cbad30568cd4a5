"""Restore operations: the retry policy, the submitter (one requestId, never twice),
the coalesced poller, the restored tenant's validation and the submit rate cap.

Layers above import the poll schedule they configure, :class:`PollConfig`, from here.
"""

from ob_async._restore.poll_config import PollConfig

__all__ = ["PollConfig"]
