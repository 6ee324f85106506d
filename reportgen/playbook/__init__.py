"""The playbook: recommendations as configuration. Facts (the registry of named numbers the
chapters publish), entries (loading and checking the playbook file), the audience table,
evaluation (triggers, audiences, value at stake), and the recommendations chapter."""
