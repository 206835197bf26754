"""One module per entity family; each exports `recognizers() -> list[Recognizer]`."""
