import sys

from ob_async.cli import main

sys.exit(main())
