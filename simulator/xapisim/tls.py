"""The simulator's own CA and one server certificate per address it answers on.

The CA certificate is written to <state dir>/ca.pem so clients verify against it; each host
address gets a certificate whose subjectAltName is that IP address, like a real host's. Key
identifiers and key usages are there because Python 3.13 verifies strictly (X509_STRICT).
"""

import datetime
import ipaddress
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "xapisim"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class CertificateAuthority:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(os.path.join(directory, "certs"), exist_ok=True)
        self._lock = threading.Lock()
        self._contexts = {}
        now = datetime.datetime.now(datetime.timezone.utc)
        self._valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650))
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            x509.CertificateBuilder().subject_name(_name("xapisim CA")).issuer_name(_name("xapisim CA"))
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self._valid[0]).not_valid_after(self._valid[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256()))
        self.ca_path = os.path.join(directory, "ca.pem")
        with open(self.ca_path, "wb") as handle:
            handle.write(self.cert.public_bytes(serialization.Encoding.PEM))
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())  # one key, a certificate per address
        self._key_path = os.path.join(directory, "certs", "server-key.pem")
        with open(self._key_path, "wb") as handle:
            os.chmod(self._key_path, 0o600)
            handle.write(_pem_key(self.leaf_key))

    def _issue(self, address):
        names = [x509.IPAddress(ipaddress.ip_address(address))]
        if address == "127.0.0.1":
            names.append(x509.DNSName("localhost"))
        cert = (
            x509.CertificateBuilder().subject_name(_name(address)).issuer_name(self.cert.subject)
            .public_key(self.leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self._valid[0]).not_valid_after(self._valid[1])
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_agreement=True, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256()))
        path = os.path.join(self.directory, "certs", "%s.pem" % address)
        with open(path, "wb") as handle:
            handle.write(cert.public_bytes(serialization.Encoding.PEM))
            handle.write(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def server_context(self, address):
        with self._lock:
            context = self._contexts.get(address)
            if context is None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(self._issue(address), self._key_path)
                self._contexts[address] = context
            return context
