"""The organisers' dashboard: a Starlette app with server-rendered pages (also opened as a
Telegram Mini App), run in the bot's process by bot/app.py. An entrypoint like bot/channels:
it calls the services bootstrap built and renders their results."""
