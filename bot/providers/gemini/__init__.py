"""Google's Gemini API: Veo 3.1 through `predictLongRunning` and its operations."""
