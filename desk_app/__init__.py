"""Quầy Một Cửa: counter software for a ward one-stop desk.

Layout (Anki-style split: rules apart from the Qt front end):
- ``desk_app.models``   the rules of the counter, plain Python, no Qt;
- ``desk_app.storage``  the counter PC's SQLite store;
- ``desk_app.printing`` PDFs with ReportLab;
- ``desk_app.sync``     the district server client;
- ``desk_app.ui``       the PySide6 window, which only shows and collects;
- ``desk_app.cli``      the ``desk-app`` command.
"""

__version__ = "0.1.0"
