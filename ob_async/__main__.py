"""`python -m ob_async`: the same as the `ob-restore` command."""

import sys

from ob_async.cli import main

sys.exit(main())
