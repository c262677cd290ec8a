"""Inline images for HTML mail: a PNG the HTML shows with `<img src="cid:...">`.

Outlook drops SVG and `data:` images, and blocks remote ones; an image carried in the message
itself, in a multipart/related part beside the HTML and referenced by its Content-ID, is shown
by Outlook, Foxmail, Thunderbird and phone clients alike. The message becomes
multipart/alternative [text/plain, multipart/related [text/html, image/png]].
"""
from __future__ import annotations

from email.message import EmailMessage


def attach_inline(message: EmailMessage, png: bytes, cid: str, filename: str = "chart.png") -> EmailMessage:
    """Put `png` beside the HTML part of `message` as Content-ID `<cid>` (the HTML refers to it as
    `cid:{cid}`); returns the same message."""
    html = message.get_body(("html",))
    if html is None:
        raise ValueError("the message has no HTML part to show the image in")
    html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline", filename=filename)
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]
    return message
