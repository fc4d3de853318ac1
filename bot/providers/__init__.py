"""Video backends behind one interface: preview (local), Kling direct, AI/ML API, OpenAI Videos API."""
