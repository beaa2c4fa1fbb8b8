"""Trade memory: round trips derived from fills, their analysis, and the nearest past trades of an entry."""
