"""Spiking builders of a FreqFormer ``NetworkSpec``: one module per backend (Nengo here; Brian2
to come). A builder reads only the spec (``freqformer_snn.export``), never the PyTorch model."""
