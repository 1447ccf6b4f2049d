"""The open data files, built at most once per figures version (public/cache.py) and
kept on disk under OPENDATA_ROOT/<version>/, then served from there. A build holds a
cache lock, so that concurrent requests for the same file wait for it rather than build
it again; files of older versions are deleted once a newer one is written."""

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from opendata.datasets import DATASETS, package
from public.cache import figures_version

LOCK_SECONDS = 10 * 60
WAIT_SECONDS = 30
POLL_SECONDS = 0.2
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class Busy(Exception):
    """Another request is building the file and has not finished in time."""


def root():
    return Path(settings.OPENDATA_ROOT)


def path_of(version, name, extension):
    return root() / version / f"{name}.{extension}"


def current(name, extension):
    """(version, path of the file for the current figures version, built if need be)."""
    version = figures_version()
    path = path_of(version, name, extension)
    if not path.exists():
        _build_once(version, name, extension, path)
    return version, path


def _build_once(version, name, extension, path):
    lock = f"opendata:lock:{version}:{name}.{extension}"
    if not cache.add(lock, 1, LOCK_SECONDS):
        deadline = time.monotonic() + WAIT_SECONDS
        while not path.exists():
            if time.monotonic() > deadline:
                raise Busy
            time.sleep(POLL_SECONDS)
        return
    try:
        if not path.exists():  # built between our look and our lock
            _write(name, extension, path)
            _delete_older(version)
    finally:
        cache.delete(lock)


def _write(name, extension, path):
    """Writes the file next to its place, then moves it there: a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = DATASETS[name]
    exporter, queryset = dataset.exporter, dataset.queryset()
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as output:
            if extension == "xlsx":
                with exporter.xlsx(queryset) as workbook:
                    shutil.copyfileobj(workbook, output)
            else:
                chunks = (
                    exporter.csv_bytes(queryset, "csv")
                    if extension == "csv"
                    else (chunk.encode("utf-8") for chunk in exporter.json_chunks(queryset))
                )
                for chunk in chunks:
                    output.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


# A figures version's folder (public.cache: uuid4().hex); nothing else is ever deleted,
# whatever else OPENDATA_ROOT holds.
VERSION_FOLDER = re.compile(r"[0-9a-f]{32}")


def _delete_older(version):
    for folder in root().iterdir():
        if folder.is_dir() and folder.name != version and VERSION_FOLDER.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)


def package_bytes():
    """The Data Package descriptor of the CSV files (made from the columns, no query)."""
    return json.dumps(package(), ensure_ascii=False, indent=2).encode("utf-8")


def schema_bytes(name):
    """The dataset's Table Schema as the file serves it (made from the columns, no query)."""
    return json.dumps(DATASETS[name].schema(), ensure_ascii=False, indent=2).encode("utf-8")
