"""The exit codes every ``ob-restore`` command keeps to (schedulers rely on them)."""

EXIT_OK = 0
"""Everything asked for was done: every restore came ONLINE within its target."""
EXIT_FAILED = 1
"""The command ran, and something failed or missed its RTO target."""
EXIT_BAD_INPUT = 2
"""Bad input or configuration, or a run-wide failure (credentials refused, endpoint
unreachable, unknown project): one message says which; nothing more was sent."""
EXIT_INTERRUPTED = 130
"""Interrupted by SIGINT; reports and journal still account for everything."""
EXIT_BROKEN_PIPE = 141
"""Stdout's reader went away (``| head``): 128 + SIGPIPE, as a tool killed by the signal."""
EXIT_TERMINATED = 143
"""Stopped by SIGTERM (128 + 15, the shell's convention); reports as for SIGINT."""


def exit_for_signal(signum: int) -> int:
    """The shell's exit status of a command stopped by ``signum``: 128 + its number."""
    return 128 + signum
