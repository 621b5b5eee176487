"""Everything about a board: the serial protocol (`protocol`), board profiles (`profiles`), the generated
firmware files (`firmware_files`), and the link and virtual board built on the protocol."""
