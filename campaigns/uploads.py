"""Audience files the wizard keeps between its steps, and their clean-up.

A campaign that is sent deletes its file at once; a wizard the operator abandons leaves its file
behind, so files older than a day are removed by ``cleanup_wizard_uploads`` (and Celery beat).
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

ABANDONED_AFTER = dt.timedelta(hours=24)


def upload_storage() -> FileSystemStorage:
    return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / "wizard-tmp")


def uploads_remove_abandoned(*, older_than: dt.timedelta = ABANDONED_AFTER) -> int:
    """Delete wizard uploads last touched before ``older_than``; returns how many."""
    root = Path(upload_storage().location)
    if not root.exists():
        return 0
    cutoff = (timezone.now() - older_than).timestamp()
    removed = 0
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
