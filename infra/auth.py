"""Who may sign in: the Cognito user pool, its groups (roles) and the app client."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from alpr.names import Group, Output
from infra.naming import fix_logical_id, output

SESSION = Duration.minutes(30)  # CJIS: session lock after at most 30 minutes idle
REFRESH = Duration.hours(12)  # one shift


class Auth(Construct):
    """User pool with MFA required (CJIS IA-2), strong passwords, no self sign-up."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(1),
            ),
            account_recovery=cognito.AccountRecovery.NONE,  # an administrator resets, after checking who asks
            # Plus tier: threat protection blocks compromised credentials and risky sign-ins.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        fix_logical_id(self.user_pool, "UserPool")
        # CJIS: lock after at most 5 failed sign-ins. Cognito locks a user out after five failed
        # attempts (growing lockouts); threat protection also blocks sign-ins with compromised
        # credentials and high-risk sign-ins, and asks for the second factor at medium and low risk.
        block = cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty(
            event_action="BLOCK", notify=False
        )
        mfa = cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty(
            event_action="MFA_REQUIRED", notify=False
        )
        cognito.CfnUserPoolRiskConfigurationAttachment(
            self,
            "UserPoolRiskConfiguration",
            user_pool_id=self.user_pool.user_pool_id,
            client_id="ALL",
            compromised_credentials_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.CompromisedCredentialsRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.CompromisedCredentialsActionsTypeProperty(
                    event_action="BLOCK"
                ),
                event_filter=["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"],
            ),
            account_takeover_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionsTypeProperty(
                    high_action=block, medium_action=mfa, low_action=mfa
                )
            ),
        ).override_logical_id("UserPoolRiskConfiguration")
        for group in Group:
            cognito.UserPoolGroup(
                self, f"Group-{group.value}", user_pool=self.user_pool, group_name=group.value
            )
        self.client = self.user_pool.add_client(
            "Client",
            auth_flows=cognito.AuthFlow(user_password=True),  # refresh-token auth is always allowed
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=SESSION,
            id_token_validity=SESSION,
            refresh_token_validity=REFRESH,
        )
        fix_logical_id(self.client, "UserPoolClient")
        output(self, Output.USER_POOL_ID, self.user_pool.user_pool_id)
        output(self, Output.USER_POOL_CLIENT_ID, self.client.user_pool_client_id)
