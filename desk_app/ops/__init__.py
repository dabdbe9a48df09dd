"""Looking after the counter PC: backups, logs, the self-test."""
