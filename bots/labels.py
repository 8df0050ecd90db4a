"""A choice's label by enum lookup, for rows printed by the dozen.

``get_FOO_display()`` rebuilds a dict of every choice on each call, hashing each lazy label, and
a lazy label is translated to be hashed: ~8 gettext calls per call, ~500 per page of campaigns.
This translates the one label shown.
"""

from django.db.models import Choices


def label_of(choices: type[Choices], value) -> str:
    """What ``get_FOO_display()`` prints for ``value``: its label, else the value itself."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
