"""Area 3, the catalogue: products (windowed, search as you type), a product's lessons and
offers, the product form with its lessons editor, the offer form with the access template."""
