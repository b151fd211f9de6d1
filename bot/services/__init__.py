"""Use cases: what the bot does, whichever entrypoint asks (the chat, the command line, start-up).
Like the core they are pure: storage is reached through the Protocols of bot.core.ports."""
