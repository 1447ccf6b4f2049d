"""Upload caps enforced while a request's body is received, before anything is stored.

CappedUploadHandler comes first in FILE_UPLOAD_HANDLERS: it refuses a multipart body
whose announced length is over its cap before reading any of it, and stops reading one
that goes over while it is received. The cap is 10 MB (reports.imports.MAX_BYTES, plus
room for the form's other fields) for someone allowed to import posting to an import page;
EVIDENCE_MAX_MB (plus that room) for an actor's contact posting to a page of the actor area
that takes an evidence file; and UPLOAD_CAP everywhere else, anonymous visitors included.
What is under the cap stays in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import Resolver404, resolve

from reports.imports import MAX_BYTES

IMPORT_UPLOAD_CAP = MAX_BYTES + 64 * 1024
UPLOAD_CAP = 256 * 1024
FORM_ROOM = 64 * 1024
# The actor area's pages that take an evidence file (space.urls).
EVIDENCE_PAGES = {"commitment", "delivery_evidence", "report_evidence"}


class UploadTooBig(RequestDataTooBig):
    """Answered with the 413 page (config.errors.bad_request)."""


def upload_cap(request):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return UPLOAD_CAP
    user = getattr(request, "user", None)
    if "admin" in match.namespaces and match.url_name and match.url_name.endswith("_import"):
        app_label, _, model_name = match.url_name.removesuffix("_import").partition("_")
        if (
            user is not None
            and user.is_active
            and user.is_staff
            and user.has_perms(
                [f"{app_label}.add_{model_name}", f"{app_label}.change_{model_name}"]
            )
        ):
            return IMPORT_UPLOAD_CAP
    if (
        match.namespace == "space"
        and match.url_name in EVIDENCE_PAGES
        and user is not None
        and user.is_authenticated
        and user.is_active
        and user.memberships.exists()
    ):
        return settings.EVIDENCE_MAX_BYTES + FORM_ROOM
    return UPLOAD_CAP


class CappedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.cap = upload_cap(self.request)
        self.received = 0
        if content_length > self.cap:
            raise UploadTooBig(f"Body of {content_length} bytes over the cap of {self.cap}")

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            raise UploadTooBig(f"Upload over the cap of {self.cap} bytes")
        return raw_data

    def file_complete(self, file_size):
        return None
