"""Request numbers a caller can key in but nobody can guess in sequence.

Nine digits: eight random (the first never 0, so the number reads the same with or without leading
zeros) and a Damm check digit, which catches every single wrong digit and every swap of two
neighbouring digits. With 12 requests among 90 million numbers a random guess hits one in 7.5
million times; the status-lookup limits (hotline/lookup_limits.py) allow a few dozen guesses an hour.
Numbers of the older date+sequence form stay valid: they are looked up as they were issued.
"""

from __future__ import annotations

import secrets

from stdnum import damm

LENGTH = 9


def new_number() -> str:
    body = str(secrets.randbelow(9 * 10**7) + 10**7)
    return body + damm.calc_check_digit(body)


def is_well_formed(number: str) -> bool:
    """True for a number this module could have issued (right length, check digit holds)."""
    return len(number) == LENGTH and number.isdigit() and number[0] != "0" and damm.is_valid(number)
