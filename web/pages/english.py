"""English texts for the Chinese ones written in the code and templates (zh -> en)."""

EN: dict[str, str] = {
}
