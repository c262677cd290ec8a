"""Group bots as a second channel: one module per platform and the pieces they share.

Everything here is pure and self-contained (no settings, no queue, no jobs): a platform-neutral
`GroupMessage` (message.py) goes through a platform module's `build` (its JSON body, mentions the
platform's way, cell text neutralised and cut at the platform's byte limit by text.py), `sign`
(with the current time, on every attempt: send.py), one HTTPS POST (post.py, no retries inside) and
`classify` (answer.py: ok / retry later / permanent with a fix sentence / unknown = failure).

Each platform module offers the same names: NAME, LIMITS, SUPPORTS, build, sign, classify;
`platforms.PLATFORMS` maps the name used in `duban.toml` to the module.
"""
