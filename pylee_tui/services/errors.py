"""The errors services raise. Each message is one line a person can act on, shown as is by the UI
and printed by the CLI (which exits 1)."""

from __future__ import annotations


class PyleeError(Exception):
    """A refused or invalid request."""


class NotFound(PyleeError):
    """The thing asked for does not exist, or the acting user may not see it."""


class Conflict(PyleeError):
    """The change collides with what is stored (a taken slug, an edit made elsewhere)."""


class InvalidInput(PyleeError):
    """A field broke its rule; the message is the rule's own."""


class PermissionDenied(PyleeError):
    """The acting user's role or grants do not allow this; the message says what would."""


class IdentityRequired(PyleeError):
    """No acting user is known."""


class VaultLocked(PyleeError):
    """The vault's data key is not in memory: unlock it with the passphrase first."""


class WrongPassphrase(PyleeError):
    """The passphrase does not open the vault; nothing was changed."""


class SecretUnreadable(PyleeError):
    """A stored ciphertext failed to decrypt (altered, or moved from another key)."""


class Unauthenticated(PyleeError):
    """A team server's caller gave no valid token or enrolment code; the message says what to do."""
