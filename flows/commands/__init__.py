"""Command groups of the ``hydrasweep`` CLI, one module a group."""
