"""Diffusion pieces shared by the image generators: the noise schedule and DDIM loop (``schedule``,
numpy) and the UNet building blocks (``blocks``, torch: training and export only)."""
