"""Fine-tuning registered language models on rated outputs (``aigc tune``): examples, training,
weights in and out of GGUF, and the versions it registers. Needs the ``train`` extra."""
