"""The decoder-only transformer shared by the built-in sequence plugins (training and export only).

``model.py`` is the network (torch), ``export.py`` writes it to ONNX with a KV cache and checks
parity, ``training.py`` is the seeded training loop. Serving goes through
``aigc.core.decoding`` and never imports this package.
"""
