"""Open sessions keep working across the move of the login backend to accounts/.

Django stores the dotted path of the backend that logged a user in with the session, and
treats a path missing from AUTHENTICATION_BACKENDS as logged out. The backend moved from
actors.backends to accounts.backends: rename the path in the sessions still open.
"""

from django.db import migrations
from django.utils import timezone

BACKEND_KEY = "_auth_user_backend"
OLD = "actors.backends.UsernameOrEmailBackend"
NEW = "accounts.backends.UsernameOrEmailBackend"


def rename_backend(apps, schema_editor, old=OLD, new=NEW):
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    open_sessions = Session.objects.using(schema_editor.connection.alias).filter(
        expire_date__gt=timezone.now()
    )
    for session in open_sessions.iterator():
        data = store.decode(session.session_data)  # {} if signed with another key
        if data.get(BACKEND_KEY) == old:
            data[BACKEND_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def rename_back(apps, schema_editor):
    rename_backend(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("sessions", "0001_initial")]

    operations = [migrations.RunPython(rename_backend, rename_back)]
