#!/usr/bin/env python
import os
import sys

# Commands that only read the models and sign nothing may run without SECRET_KEY, so that
# `makemigrations --check` works in any hook or CI step; every other command still stops
# with the settings' one-line message when it is missing.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ.setdefault("SECRET_KEY", f"unused-by-{sys.argv[1]}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
