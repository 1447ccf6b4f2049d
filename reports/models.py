from django.conf import settings
from django.db import models


class PendingImport(models.Model):
    """A previewed import file waiting for its agent's confirmation: in the database, so
    that any server can confirm it; owned, expiring, deleted once confirmed. Not audited
    (simple-history): it is a transient copy of a file, and what it writes is audited."""

    token = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    target = models.CharField(max_length=100)  # the model's label, e.g. commitments.commitment
    name = models.CharField(max_length=255, blank=True)
    content = models.BinaryField()  # the file, zlib-compressed
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "import en attente"
        verbose_name_plural = "imports en attente"

    def __str__(self):
        return self.name or self.token
