"""Inputs: reading a unit's transaction files into canonical columns (load), the cleaning rules
with their cleaning log (clean), and checking a unit without computing a report (validate)."""
