import datetime as dt
import io
import os
import time

from django.core.management import call_command

from campaigns.uploads import upload_storage, uploads_remove_abandoned


def test_abandoned_wizard_uploads_are_removed_and_fresh_ones_kept(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    storage = upload_storage()
    old = storage.save("old.csv", io.BytesIO(b"telefone\n+5511999998888\n"))
    fresh = storage.save("fresh.csv", io.BytesIO(b"telefone\n"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(storage.path(old), (two_days_ago, two_days_ago))
    assert uploads_remove_abandoned(older_than=dt.timedelta(hours=24)) == 1
    assert not storage.exists(old) and storage.exists(fresh)


def test_cleanup_command_runs_without_an_upload_folder(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path / "none"
    call_command("cleanup_wizard_uploads", "--hours", "1")
    assert "removed 0" in capsys.readouterr().out
