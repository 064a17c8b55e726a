"""Customer-base models: BG/NBD (purchase and dropout) and Gamma-Gamma (spend)."""
