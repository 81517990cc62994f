"""Demo data: the real setting of Melipilla province and Mall Espacio Urbano."""
