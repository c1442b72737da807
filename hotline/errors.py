"""Every error hotline raises on purpose, in one place.

The CLI turns any ``HotlineError`` into a one-line message and a non-zero exit code;
anything else is a bug and is reported as such (with a traceback under ``--debug``).

    HotlineError
    ├── ConfigError            settings file or environment is wrong (names the file and field)
    ├── DatabaseError          database unreachable or schema out of date
    ├── CaptureError           an AMI capture file cannot be read or replayed
    ├── AmiError               AMI login refused, action failed
    ├── CatalogueError         IVR catalogue YAML invalid (names file, line and field)
    ├── AudioError             a recording is corrupt, empty, truncated or unsupported
    ├── TranscriptionError     no model for a language, engine failure
    ├── ModelDownloadError     a model archive could not be fetched or verified
    └── NotFoundError          a named object (user, request, recording) does not exist
"""

from __future__ import annotations


class HotlineError(Exception):
    """Base of every expected failure; its message is shown to the user as is."""

    exit_code = 1


class ConfigError(HotlineError):
    exit_code = 2


class DatabaseError(HotlineError):
    pass


class CaptureError(HotlineError):
    pass


class AmiError(HotlineError):
    pass


class CatalogueError(HotlineError):
    exit_code = 2


class AudioError(HotlineError):
    pass


class TranscriptionError(HotlineError):
    pass


class ModelDownloadError(HotlineError):
    pass


class NotFoundError(HotlineError):
    pass
