from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files after collectstatic (make serve).

    Not strict: before any collectstatic (tests, runserver) a file keeps its plain name
    instead of stopping the page.
    """

    manifest_strict = False
