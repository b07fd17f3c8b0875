"""The shared I/O layer: one place that reads and writes tables and layers for every command."""
