"""mtqc — a machine-translation quality checker.

``import mtqc`` is light: models load only when a scorer asks for them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mtqc.api import check  # noqa: E402
from mtqc.errors import ConfigError, InputError, MtqcError, UsageError  # noqa: E402
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity  # noqa: E402

__all__ = [
    "check",
    "ConfigError",
    "Flag",
    "InputError",
    "Mode",
    "MtqcError",
    "Report",
    "Segment",
    "SegmentResult",
    "Severity",
    "UsageError",
    "__version__",
]
