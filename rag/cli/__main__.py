"""`python -m rag.cli`: the `rag` command."""

import sys

from rag.cli.commands import main

sys.exit(main())
