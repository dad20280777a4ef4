"""Error grouping: log template mining, exception fingerprints, Lambda platform errors, error detection.

Pure code: no I/O, no clock, no database, no AWS.

Installed with mypyc at hand, the modules of this package are compiled (setup.py) and run ~1.5x as fast. This
file is never compiled: it runs the sources instead when a compiled module is older than its source (an edit since
the last build) or when BOLTWATCH_PURE_PYTHON=1, all of them together, since compiled modules call each other
directly. `COMPILED` says which ran.
"""

from bot.grouping import _compiled  # first: it chooses between the compiled modules and the sources
from bot.grouping.batch import group_messages
from bot.grouping.detection import error_level, is_error
from bot.grouping.grouper import ErrorGrouper
from bot.grouping.miner import TemplateMiner
from bot.grouping.records import Level
from bot.grouping.signature import ErrorSignature, fingerprint
from bot.grouping.tokens import parameterize

COMPILED = _compiled.running_compiled()

__all__ = [
    "COMPILED",
    "ErrorGrouper",
    "ErrorSignature",
    "Level",
    "TemplateMiner",
    "error_level",
    "fingerprint",
    "group_messages",
    "is_error",
    "parameterize",
]
