"""Screens of the wakebench app: the workbench and its dialogs."""
