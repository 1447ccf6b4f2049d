from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Engagements"

    def ready(self):
        from django.db.models.signals import post_delete

        from commitments.evidence import Evidence, file_no_longer_named

        # A purge of the history (clean_old_history) deletes past versions one by one when
        # someone listens: the file goes once nothing names it any more.
        post_delete.connect(
            file_no_longer_named, sender=Evidence.history.model, dispatch_uid="evidence_purge"
        )
