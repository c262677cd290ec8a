"""Composing and delivering duban's mail: messages (`message`), the queue in state.db (`queue`,
`queued`), the transports (`seam`, `smtp`, `transports`), and the words of mail (`words`,
`reasons`, `render`).

Import from the module that holds a name: this package file imports nothing, so a job that
needs only the words of mail (the terminal, `duban validate`) does not load SMTP and TLS.
"""
