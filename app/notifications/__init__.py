"""Notifications: who is told what when a state changes (rules), the outbox they wait in, and
the worker that delivers them by e-mail."""
