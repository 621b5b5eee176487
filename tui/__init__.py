"""wakebench's Textual app: a thin face over `core`."""
