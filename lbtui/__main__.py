"""python -m lbtui"""

from lbtui.cli import main

raise SystemExit(main())
