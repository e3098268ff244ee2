#!/usr/bin/python3
"""A token service for the registry tests: the other half of the bearer-token dance.

    token_server.py CERT_PATH ISSUER SERVICE USER PASSWORD

Makes an RSA key and a self-signed certificate (written to CERT_PATH, for the registry's
rootcertbundle), listens on 127.0.0.1 on a free port, prints that port, and serves
GET /token?service=...&scope=repository:NAME:ACTIONS. Anonymous requests get pull only;
USER:PASSWORD (basic auth) gets what it asks for; a wrong password gets 401. Tokens are
JWTs signed RS256, with the certificate in their x5c header, as the registry expects.
"""
import base64, datetime, json, os, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, padding

cert_path, issuer, service, user, password = sys.argv[1:6]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dosirak test token issuer")])
now = datetime.datetime.utcnow()
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
with open(cert_path, "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def token(subject, access):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [der]}
    t = int(time.time())
    claims = {"iss": issuer, "sub": subject, "aud": service, "exp": t + 300, "nbf": t - 10, "iat": t,
              "jti": str(uuid.uuid4()), "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        query = parse_qs(url.query)
        subject = ""
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            given = base64.b64decode(authorization[6:]).decode()
            if given != user + ":" + password:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}')
                return
            subject = user
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            repository, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",") if subject or a == "pull"]
            access.append({"type": kind, "name": repository, "actions": granted})
        body = json.dumps({"token": token(subject, access), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
