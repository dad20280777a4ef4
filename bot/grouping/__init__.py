"""Error grouping: log template mining, exception fingerprints, Lambda platform errors, error detection.

Pure code: no I/O, no clock, no database, no AWS.
"""

from bot.grouping.batch import group_messages
from bot.grouping.detection import error_level, is_error
from bot.grouping.grouper import ErrorGrouper
from bot.grouping.miner import TemplateMiner
from bot.grouping.records import Level
from bot.grouping.signature import ErrorSignature, fingerprint
from bot.grouping.tokens import parameterize

__all__ = [
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
