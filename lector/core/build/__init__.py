"""The build folder (``<project>/build/``): its paths and its typed, versioned records.

:class:`BuildDir` owns every path under build/ and loads and saves each record in one place,
atomically (lector.core.fsutil). Records: :class:`Timeline`, :class:`MasterDoc`, :class:`Stamp`,
:class:`ChapterOutput`, :class:`Manifest`, :class:`QCFile`. A record written by a newer Lector
is refused with :class:`lector.core.errors.BuildRecordError`.
"""

from ..errors import BuildRecordError
from .manifest import ChapterOutput, FileEntry, Manifest
from .master_doc import MasterDoc, Stamp
from .paths import BuildDir
from .qc_file import QCFile
from .timeline import Timeline, TimelineRow

__all__ = [
    "BuildDir",
    "BuildRecordError",
    "ChapterOutput",
    "FileEntry",
    "Manifest",
    "MasterDoc",
    "QCFile",
    "Stamp",
    "Timeline",
    "TimelineRow",
]
