"""Reading screenshots: Tesseract behind the core's ImageReader port."""
