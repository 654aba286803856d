"""The referral domain's errors: views and the API turn them into clear pages and 4xx responses."""


class ReferralError(Exception):
    """Something asked of a referral that cannot be done; the message says why, in plain words."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(ReferralError):
    """The referral is not in a state where this step can happen (someone may have got there first)."""


class NotPermitted(ReferralError):
    """This person (or token, or link) does not own this step for this referral."""


class FirstSessionNotStarted(InvalidTransition):
    """Attendance at a first session that has not started yet: it cannot be known, and recording it
    early would corrupt the attendance figure commissioners hold the service to."""


class AlreadyUpdated(InvalidTransition):
    """The referral changed after the person's page showed it: they should look before acting."""

    def __init__(self, status_label: str):
        super().__init__(
            f"This referral has already been updated: it is now “{status_label}”. Check the details below "
            "before doing anything else."
        )
