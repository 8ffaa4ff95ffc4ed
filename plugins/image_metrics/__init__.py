"""Set-level image measures: recognition rate, FID, KID and diversity on the digit classifier's features.

``metrics.py`` holds the maths (numpy and scipy only); ``recognition.py`` measures how often
the ``image-class-match`` classifier reads generated digits as the requested label, which every
image generator's export step records in its manifest. No evaluator is registered yet.
"""
