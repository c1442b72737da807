"""Dial-back of the callbacks the IVR promised, through AMI Originate (its own least-privilege user)."""
