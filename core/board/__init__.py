"""Talking to a board: the serial protocol (`protocol`), and the link and virtual board built on it."""
