"""Characterizing documents: the taxonomy, labels (tagging), facets and the country x theme matrix."""
