"""The candidhealth SDK authenticates against copay with client credentials."""

import pytest
from candid.core.api_error import ApiError


def test_sdk_token_call_returns_a_usable_bearer(candid, tenant):
    token = candid.auth.default.get_token(client_id=tenant["client_id"], client_secret=tenant["client_secret"])
    assert token.token_type == "Bearer"
    # The SDK refreshes 120 s before expiry; copay's 5 h lifetime keeps it cached.
    assert token.expires_in == 5 * 60 * 60
    assert token.access_token.count(".") == 2


def test_sdk_token_call_with_a_wrong_secret_is_refused(candid, tenant):
    with pytest.raises(ApiError) as raised:
        candid.auth.default.get_token(client_id=tenant["client_id"], client_secret="cps_wrong")
    assert raised.value.status_code == 401
    assert raised.value.body == {"errorName": "UnauthorizedError", "content": {"message": "invalid credentials"}}
