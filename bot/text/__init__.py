"""Rules about text that both the content (data/) and the core apply: Telegram HTML (markup),
host names split at their public suffix (domains), and how a language is typed in Latin letters
(latin). Below both: it imports neither, and no framework or I/O."""
