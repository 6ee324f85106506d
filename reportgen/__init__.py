"""reportgen: monthly CRM reports from transaction logs. See ARCHITECTURE.md for the map.

config -> inputs -> chapters (analyses) -> facts -> playbook -> sections (report) -> render
-> outputs -> jobs; pipeline.build_report runs it, cli.py is the command line.
"""
