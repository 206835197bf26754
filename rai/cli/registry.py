"""Every subcommand module, by import path. Add a line to plug in a new command."""

COMMAND_MODULES: tuple[str, ...] = (
)

AUDIT_MODULES: tuple[str, ...] = (
)
