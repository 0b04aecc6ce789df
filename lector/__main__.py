"""``python -m lector``: the ``lector`` command."""

from lector.cli import main

raise SystemExit(main())
