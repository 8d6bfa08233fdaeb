"""Errors of the alarm engine.

::

    InputError (shopfloor.model.errors)
     +-- AlarmError                  an alarm operation cannot be done
          +-- UnknownAlarmError      no alarm has the id given
          +-- AlarmTransitionError   the alarm's state does not allow the operation
          +-- AlarmStateError        saved alarm state cannot be read back

They are input errors: each follows from what a caller or an operator asked, and each
message says what was wrong in one line.
"""

from __future__ import annotations

from shopfloor.model.errors import InputError


class AlarmError(InputError):
    """An alarm operation cannot be done."""

    code = "alarm"


class UnknownAlarmError(AlarmError):
    """No alarm has the id given."""

    code = "alarm.unknown"


class AlarmTransitionError(AlarmError):
    """The alarm's current state does not allow the operation (e.g. acknowledging twice)."""

    code = "alarm.transition"


class AlarmStateError(AlarmError):
    """Saved alarm state is malformed or of an unknown version."""

    code = "alarm.state"
