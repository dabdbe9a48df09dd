"""The bundle's entry point (PyInstaller runs a script, not a package's __main__)."""

import sys

from desk_app.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
