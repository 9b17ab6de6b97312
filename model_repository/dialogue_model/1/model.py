"""Triton Python backend for the dialogue head: the same DialogueModel the retrieval service embeds."""

from convrec_kit.models.dialogue.triton_model import DialogueTritonModel


class TritonPythonModel(DialogueTritonModel):
    pass
