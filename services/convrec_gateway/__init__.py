"""Gateway: the DialogueService that orchestrates each dialogue turn."""
