"""`python -m ob_async` and the `ob-restore` command: the command line, once its extra is there."""

import sys

from ob_async._extras import MissingExtraError, require_extra


def main() -> int:
    """Run ``ob-restore``; without the ``cli`` extra, say how to install it (exit 2)."""
    try:
        require_extra("cli", "The ob-restore command")
    except MissingExtraError as error:
        print(f"ob-restore: {error}", file=sys.stderr)
        return 2
    from ob_async._cli import main as run  # noqa: PLC0415 (needs the extra checked above)

    return run()


if __name__ == "__main__":
    sys.exit(main())
