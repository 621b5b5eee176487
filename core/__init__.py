"""wakebench core: the headless library behind the CLI and the Textual app.

Importing this package is cheap: it never imports TensorFlow, Textual or Rich.
Modules that need TensorFlow import it inside the functions that use it.
"""

__version__ = "0.1.0"
