"""HTTP models by direction: *Create / *Update come in, *Public goes out."""
