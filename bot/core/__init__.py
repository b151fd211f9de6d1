"""The channel-agnostic dialogue core: plain data in, plain data out; I/O only through ports."""
