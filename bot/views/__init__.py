"""Read models: plain dataclasses the UI shows (`incident`, `status`, `digest`, ...), importing nothing but the
standard library and `bot.enums`, and the `*_queries` modules that build them from the store."""
