"""The exit codes every ``ob-restore`` command keeps to (schedulers rely on them)."""

EXIT_OK = 0
"""Everything asked for was done: every restore came ONLINE within its target."""
EXIT_FAILED = 1
"""The command ran, and something failed or missed its RTO target."""
EXIT_BAD_INPUT = 2
"""Bad input or configuration: nothing was sent."""
EXIT_INTERRUPTED = 130
"""Interrupted (SIGINT/SIGTERM); reports and journal still account for everything."""
EXIT_BROKEN_PIPE = 141
"""Stdout's reader went away (``| head``): 128 + SIGPIPE, as a tool killed by the signal."""
