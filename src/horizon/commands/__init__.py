"""One small typer app (or command) per group; each registers itself on the root app."""
