"""The monthly run: validate, build marts once, render every product × scope, export, publish."""
