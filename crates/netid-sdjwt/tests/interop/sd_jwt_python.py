"""Interop with an independent SD-JWT implementation: the OpenWallet Foundation's sd-jwt for
Python (PyPI `sd-jwt`, by the RFC 9901 authors). Driven by netid-sdjwt's tests.

  verify: stdin {"presentation", "issuer_jwk", "aud", "nonce"} -> stdout the verified payload
  issue:  stdout {"issuer_jwk", "presentation", "aud", "nonce", "disclosed"}: an SD-JWT that
          sd-jwt issued with a holder key of its own and presented with key binding
"""

import json
import sys
import time

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier


def verify():
    request = json.load(sys.stdin)
    issuer_key = JWK(**request["issuer_jwk"])
    verifier = SDJWTVerifier(
        request["presentation"],
        lambda issuer, header: issuer_key,
        expected_aud=request["aud"],
        expected_nonce=request["nonce"],
    )
    json.dump(verifier.get_verified_payload(), sys.stdout, ensure_ascii=False)


def issue():
    issuer_key = JWK.generate(kty="EC", crv="P-256")
    holder_key = JWK.generate(kty="EC", crv="P-256")
    now = int(time.time())
    claims = {
        "iss": "https://sd-jwt-python.test",
        "iat": now,
        "exp": now + 3600,
        "vct": "urn:test:python-issued",
        "real_name_verified": True,
        SDObj("name"): "测试乙",
        SDObj("age_over_18"): True,
        SDObj("nationality"): "CHN",
    }
    issued = SDJWTIssuer(claims, issuer_key, holder_key, sign_alg="ES256", add_decoy_claims=True)
    holder = SDJWTHolder(issued.sd_jwt_issuance)
    aud, nonce = "netid-interop-verifier", "python-nonce-0001"
    holder.create_presentation(
        {"age_over_18": True}, nonce=nonce, aud=aud, holder_key=holder_key, sign_alg="ES256"
    )
    json.dump(
        {
            "issuer_jwk": json.loads(issuer_key.export_public()),
            "presentation": holder.sd_jwt_presentation,
            "aud": aud,
            "nonce": nonce,
            "disclosed": {"age_over_18": True},
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    {"verify": verify, "issue": issue}[sys.argv[1]]()
