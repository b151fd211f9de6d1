"""The message check ("Is this a scam?"): red flags found in a message someone received, with
the part of the message each one quotes, and the verdict. Pure: the signals are data
(data/scam/<lang>.yml, read by bot.content), the links are judged by bot.core.links."""
