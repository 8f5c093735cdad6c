"""Test-session settings.

Runs without ``--models`` would load the source-aware QE model wherever the models extra
is installed (``mtqc.scorers.packages.default_models``); the rule tests assert what the
rules alone find, so the suite sets the default to rules only. Tests of the default
itself unset it (``monkeypatch.delenv``).
"""

import os

os.environ["MTQC_DEFAULT_MODELS"] = ""
