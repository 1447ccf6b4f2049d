from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files once collected (make serve).

    Before any collectstatic (tests, runserver) a file keeps its plain name, served from
    the apps' folders, instead of stopping the page.
    """

    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:
                raise  # collectstatic itself: a missing file is an error
            return name
