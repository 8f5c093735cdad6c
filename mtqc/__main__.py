import sys

from mtqc.cli import main

sys.exit(main())
