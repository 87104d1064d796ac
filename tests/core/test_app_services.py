"""The App's services made on first use (``app.files``, ``app.cron``, ``app.backups``): a
start imports none of their modules, each is made once whoever asks first, and what the
cron scheduler registers when it is made stays built-in."""

from __future__ import annotations

import threading
from pathlib import Path

from satchel.app import App
from satchel.cli import make_config

BUILTIN = ["__pbDBOptimize__", "__pbMFACleanup__", "__pbOTPCleanup__", "__pbLogsCleanup__"]


def test_services_are_made_once_on_first_use(tmp_path: Path) -> None:
    with App(make_config(data_dir=tmp_path / "pb_data")) as app:
        assert not {"files", "cron", "backups"} & set(vars(app))
        seen: list[object] = []
        start = threading.Barrier(8)

        def ask() -> None:
            start.wait()
            seen.append(app.backups)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({id(s) for s in seen}) == 1  # one backups lock for everyone
        assert app.backups is seen[0] and vars(app)["backups"] is seen[0]  # later reads: the instance's attribute
        assert app.files is app.files
        assert [j.id for j in app.cron.jobs()] == BUILTIN


def test_auto_backup_job_follows_settings_made_before_the_scheduler(tmp_path: Path) -> None:
    with App(make_config(data_dir=tmp_path / "pb_data")) as app:
        settings = app.settings.current
        settings.backups.cron = "0 4 * * *"
        app.settings.save_sync(settings)  # its change listener finds no scheduler yet
        assert "cron" not in vars(app)
        job = app.cron.get("__pbAutoBackup__")
        assert job is not None and job.expression == "0 4 * * *"


def test_builtin_jobs_survive_a_hook_file_reload_when_the_file_made_the_scheduler(tmp_path: Path) -> None:
    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()
    (hooks / "main.py").write_text(
        "from satchel.hooks import app\n\n@app.cron('mine', '0 3 * * *')\ndef mine():\n    pass\n"
    )
    with App(make_config(data_dir=tmp_path / "pb_data", hooks_dir=hooks)) as app:
        app.hook_files.load()  # the file's app.cron makes the scheduler
        assert [j.id for j in app.cron.jobs()] == ["mine", *BUILTIN]
        (hooks / "main.py").write_text("from satchel.hooks import app\n")
        assert app.hook_files.reload()
        assert [j.id for j in app.cron.jobs()] == BUILTIN
