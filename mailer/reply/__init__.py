"""Replies to duban's mail: the one-line commands a person types, and the links that prefill them."""
