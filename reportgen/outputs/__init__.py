"""Outputs: the data files beside the report (exports), the run manifest (manifest), and
publishing a period folder atomically (publish)."""
