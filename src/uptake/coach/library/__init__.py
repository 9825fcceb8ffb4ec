"""The use-case library: role-specific, schema-validated YAML use cases (bundled + a workspace's).

`load_library` reads the starter library shipped in `data/` plus a workspace's files;
`Library.for_role` picks the use cases for a role, workflow and surface.
"""

from uptake.coach.library.load import (
    Library,
    LibraryError,
    LoadedFile,
    bundled_files,
    load_library,
    read_files,
    validate_paths,
)
from uptake.coach.library.schema import ANY_ROLE, UseCase, placeholders

__all__ = [
    "ANY_ROLE",
    "Library",
    "LibraryError",
    "LoadedFile",
    "UseCase",
    "bundled_files",
    "load_library",
    "placeholders",
    "read_files",
    "validate_paths",
]
