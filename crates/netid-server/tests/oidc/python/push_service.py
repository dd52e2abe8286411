"""A push service and a browser's side of Web Push, written apart from netid with pyca.

It makes a subscription (a P-256 key pair and an authentication secret, as a browser does),
listens on 127.0.0.1 as the push service the subscription's endpoint names, and for each
message netid posts checks the VAPID token (RFC 8292: ES256 over the claims, with the key in
`k`, for this origin, not expired) and decrypts the body (RFC 8291, aes128gcm of RFC 8188).

Protocol, one JSON line out at each step:
  {"subscription": {"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}}
  {"message": <plaintext as text>, "vapid_key": ..., "aud": ..., "headers": {...}}  per message
Runs until its standard input closes.
"""

import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


UA_PRIVATE = ec.generate_private_key(ec.SECP256R1())
UA_PUBLIC = UA_PRIVATE.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)
AUTH = os.urandom(16)


def decrypt(body):
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_public = body[21 : 21 + idlen]
    ciphertext = body[21 + idlen :]
    assert rs >= 18 and len(ciphertext) <= rs, "one record"
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    shared = UA_PRIVATE.exchange(ec.ECDH(), sender)
    ikm = hkdf(AUTH, shared, b"WebPush: info\0" + UA_PUBLIC + as_public, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\0", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\0", 12)
    record = AESGCM(cek).decrypt(nonce, ciphertext, b"")
    plaintext = record.rstrip(b"\0")
    assert plaintext.endswith(b"\x02"), "the last record's delimiter"
    return plaintext[:-1]


def check_vapid(authorization, origin):
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = fields["t"], fields["k"]
    header, claims, signature = token.split(".")
    assert json.loads(b64d(header)) == {"typ": "JWT", "alg": "ES256"}
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    raw = b64d(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64d(claims))
    assert claims["aud"] == origin, claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith(("https:", "http:", "mailto:")), claims
    return key, claims["aud"]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        origin = f"http://127.0.0.1:{self.server.server_port}"
        try:
            assert self.headers["Content-Encoding"] == "aes128gcm"
            key, aud = check_vapid(self.headers["Authorization"], origin)
            message = decrypt(body).decode()
            answer = {
                "message": message,
                "vapid_key": key,
                "aud": aud,
                "headers": {name: self.headers[name] for name in ("TTL", "Urgency")},
            }
            self.send_response(201)
        except Exception as error:  # what went wrong is the test's answer
            answer = {"error": repr(error)}
            self.send_response(400)
        self.end_headers()
        print(json.dumps(answer), flush=True)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{server.server_port}/push/{b64e(os.urandom(8))}"
print(
    json.dumps(
        {"subscription": {"endpoint": endpoint, "keys": {"p256dh": b64e(UA_PUBLIC), "auth": b64e(AUTH)}}}
    ),
    flush=True,
)
sys.stdin.read()
server.shutdown()
