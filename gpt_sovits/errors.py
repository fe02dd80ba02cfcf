"""Typed exceptions. Every message says what is wrong and what to do about it."""

from __future__ import annotations


class StudioError(Exception):
    """Base class for errors shown to users (UI, CLI, REST)."""


class CheckpointError(StudioError):
    """A weights file cannot be read, is of an unsupported kind, or does not match the model."""


class AudioFormatError(StudioError):
    """An input file is not decodable audio, or its audio is unusable (silence, NaN, too short)."""


class UnsupportedText(StudioError):
    """Text that the front-end cannot pronounce at all (e.g. only emoji or an unsupported script)."""


class ModelMissingError(StudioError):
    """A base model or encoder is not installed; the message names the exact fix."""


class ProjectError(StudioError):
    """A workspace/project operation cannot be carried out (bad name, busy, missing stage)."""


class MissingToolError(StudioError):
    """A system package this action needs (e.g. a Debian text or voice package) is not installed;
    the message names the package and the command that installs it."""
