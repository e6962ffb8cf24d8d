"""Finding passages and documents: hybrid retrieval, similar initiatives, retrieval benchmarks."""
