"""The rules of Vitrina: functions that take models, change state and raise DomainError.

They never commit: the caller (a request, a CLI command) owns the transaction, so a change, its
audit event and (later) its outbox messages land together or not at all.
"""
