"""Live detection: the micro_speech recognizer (`recognize`) and the streaming detector (`detector`) that
`detect`, `listen`, the app and the virtual board share."""
