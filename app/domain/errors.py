"""Domain errors; the web layer maps each kind to one HTTP status, the CLI to a message."""


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the form field at fault, when there is one


class Invalid(DomainError):
    """The request is malformed or breaks a rule about its own content."""

    status = 400


class NotAllowed(DomainError):
    """This user may not do this."""

    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The action cannot succeed in the current state (taken, full, changed meanwhile)."""

    status = 409
