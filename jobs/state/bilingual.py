"""A sentence serve stores once and shows in either language (a skipped write's reason): kept in
the state as a small JSON pair, so `duban status` and serve's mail to its admins can say it in
the reader's language. A plain string (written before, or by hand) is shown as it is."""
from __future__ import annotations

import json


def pair(zh: str, en: str) -> str:
    """The stored form: `{"zh": …, "en": …}`."""
    return json.dumps({"zh": zh, "en": en}, ensure_ascii=False)


def said(stored: str, lang: str) -> str:
    """The sentence in `lang` (English for anything but zh), or `stored` itself when it is no pair."""
    if stored.startswith("{"):
        try:
            found = json.loads(stored)
            return found["zh" if lang == "zh" else "en"]
        except (ValueError, KeyError, TypeError):
            pass
    return stored
