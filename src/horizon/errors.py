"""The exceptions horizon raises for a user to act on; the CLI turns them into one line."""

from __future__ import annotations


class HorizonError(Exception):
    """A problem the user can act on. The message names the thing at fault."""

    exit_code = 1


class ConfigError(HorizonError):
    """feeds.yaml, a taxonomy file or an option is wrong (exit code 2)."""

    exit_code = 2


class UsageError(HorizonError):
    """A command was given an argument that cannot be used (exit code 2)."""

    exit_code = 2


class StoreError(HorizonError):
    """The store cannot be opened or is not a horizon store."""


class LockedError(HorizonError):
    """Another `horizon pull` holds the lock (exit code 75, EX_TEMPFAIL)."""

    exit_code = 75


class FetchError(HorizonError):
    """One source could not be fetched or parsed; `kind` is the recorded error class (the
    classes are listed in docs/fetching.md)."""

    def __init__(self, kind: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
