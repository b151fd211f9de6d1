"""The dialogue's features: each declares its commands, intents, buttons and flows
(bot.core.registry) and reaches the outside through ports and the services."""
