"""The message catalogue served to clients: labels and templates in zh-CN and en."""
