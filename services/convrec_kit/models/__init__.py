"""Neural models and the client interface that serves them embedded or through Triton."""
