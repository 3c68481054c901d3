"""The stack's HMAC keys: secrets generated at deploy time, encrypted with the data key, kept on delete."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge
from infra.naming import fix_logical_id

HMAC_KEY_CHARACTERS = 64


def hmac_key_secret(
    scope: Construct, logical_id: str, *, description: str, key: kms.IKey, why_not_rotated: str
) -> secretsmanager.Secret:
    """A generated HMAC key named `logical_id` in the template; `why_not_rotated` answers cdk-nag."""
    secret = secretsmanager.Secret(
        scope,
        logical_id,
        description=description,
        encryption_key=key,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=HMAC_KEY_CHARACTERS, exclude_punctuation=True
        ),
        removal_policy=RemovalPolicy.RETAIN,
    )
    fix_logical_id(secret, logical_id)
    acknowledge(secret, "AwsSolutions-SMG4", why_not_rotated)
    return secret
