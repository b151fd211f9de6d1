"""Documents the bot sends: rendered at the edge from plain data the core prepares."""
