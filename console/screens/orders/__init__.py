"""Orders in the console: the orders area (key 4), the order screen, "+ Product"."""
