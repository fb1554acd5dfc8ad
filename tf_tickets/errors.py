"""User-facing errors: a message of one line that says what was wrong and what to do."""


class TicketsError(ValueError):
    """Bad input from a user (a name, a flag, a file). Entry points print it as one line, exit non-zero."""
