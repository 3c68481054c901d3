"""The CDK app of the ALPR back office: one construct per capability, composed in stack.py."""
