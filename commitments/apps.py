from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Engagements"

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete

        from commitments.evidence import Evidence, delete_unnamed_file

        def file_no_longer_named(sender, instance, **kwargs):
            # A purge of the history (clean_old_history) deletes past versions one by one
            # when someone listens: the file goes once nothing names it any more.
            name = instance.file.name if instance.file else ""
            transaction.on_commit(lambda: delete_unnamed_file(name))

        post_delete.connect(
            file_no_longer_named, sender=Evidence.history.model, dispatch_uid="evidence_purge"
        )
