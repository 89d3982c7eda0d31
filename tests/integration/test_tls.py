"""TLS from real clients: certificates made by the test with the openssl command, then
redis-cli --tls with and without a client certificate under each tls-auth-clients mode,
redis-py over TLS (large values, pipelines, AUTH with an ACL user), redis-benchmark --tls, and
the plain port serving beside the TLS one.  Skips when the openssl command is missing."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402

import redis  # noqa: E402


def make_certs():
    d = tempfile.mkdtemp(prefix="tessera-tls-")

    def ssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=Tessera Test CA")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=" + name)
        ssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", "ext.cnf")
    # A key protected by a passphrase, for tls-key-file-pass.
    ssl("rsa", "-in", "server.key", "-aes256", "-passout", "pass:s3cret", "-out",
        "server-enc.key")
    return d


def tls_server(binary, certs, *extra, key="server.key"):
    tls_port = free_port()
    s = Server(binary, "--tls-port", str(tls_port),
               "--tls-cert-file", os.path.join(certs, "server.crt"),
               "--tls-key-file", os.path.join(certs, key),
               "--tls-ca-cert-file", os.path.join(certs, "ca.crt"), *extra)
    s.tls_port = tls_port
    return s


def cli(s, certs, *args, client_cert=True):
    cmd = ["redis-cli", "-p", str(s.tls_port), "--tls", "--cacert", os.path.join(certs, "ca.crt")]
    if client_cert:
        cmd += ["--cert", os.path.join(certs, "client.crt"),
                "--key", os.path.join(certs, "client.key")]
    return subprocess.run(cmd + list(args), capture_output=True, timeout=30)


def have_openssl():
    if shutil.which("openssl") is None:
        print("  (openssl command missing: skipped)")
        return False
    return True


def test_redis_cli_tls_and_client_certificates(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        assert cli(s, certs, "SET", "k", "v").stdout.strip() == b"OK"
        assert cli(s, certs, "GET", "k").stdout.strip() == b"v"
        # tls-auth-clients yes: no certificate, no session.
        out = cli(s, certs, "PING", client_cert=False)
        assert b"PONG" not in out.stdout, out
        # The plain port serves beside it, the same data.
        assert s.cli("GET", "k").stdout.strip() == b"v"
    with tls_server(binary, certs, "--tls-auth-clients", "optional") as s:
        assert cli(s, certs, "PING", client_cert=False).stdout.strip() == b"PONG"
        assert cli(s, certs, "PING").stdout.strip() == b"PONG"
    with tls_server(binary, certs, "--tls-auth-clients", "no", "--tls-protocols", "TLSv1.3",
                    "--tls-key-file-pass", "s3cret", key="server-enc.key") as s:
        assert cli(s, certs, "PING", client_cert=False).stdout.strip() == b"PONG"
        r = s.redis()
        assert r.config_get("tls-*")["tls-auth-clients"] == "no"
    shutil.rmtree(certs)


def test_redis_py_over_tls(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        r = redis.Redis(port=s.tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"),
                        ssl_certfile=os.path.join(certs, "client.crt"),
                        ssl_keyfile=os.path.join(certs, "client.key"))
        big = os.urandom(3 * 1024 * 1024)
        assert r.set("big", big)
        assert r.get("big") == big
        pipe = r.pipeline(transaction=False)
        for i in range(5000):
            pipe.set("k%d" % i, i)
        assert all(pipe.execute())
        assert r.dbsize() == 5001
        # ACL over TLS.
        r.execute_command("ACL", "SETUSER", "tlsuser", "on", ">pw", "~k*", "+get")
        u = redis.Redis(port=s.tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"),
                        ssl_certfile=os.path.join(certs, "client.crt"),
                        ssl_keyfile=os.path.join(certs, "client.key"),
                        username="tlsuser", password="pw")
        assert u.get("k7") == b"7"
        try:
            u.get("big")
            raise AssertionError("ACL not enforced over TLS")
        except redis.exceptions.NoPermissionError:
            pass
    shutil.rmtree(certs)


def test_redis_benchmark_tls(binary):
    if not have_openssl() or shutil.which("redis-benchmark") is None:
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        out = subprocess.run(
            ["redis-benchmark", "-p", str(s.tls_port), "--tls", "--cacert",
             os.path.join(certs, "ca.crt"), "--cert", os.path.join(certs, "client.crt"),
             "--key", os.path.join(certs, "client.key"), "-t", "set,get", "-n", "20000",
             "-c", "20", "-P", "8", "-q"], capture_output=True, timeout=120)
        text = out.stdout.decode()
        assert "SET:" in text and "GET:" in text, text
        assert s.redis().dbsize() == 1
    shutil.rmtree(certs)


def peer_common_name(port, certs):
    import ssl
    import socket
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    ctx.load_cert_chain(os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            subject = dict(x[0] for x in tls.getpeercert()["subject"])
            tls.sendall(b"PING\r\n")
            assert tls.recv(100) == b"+PONG\r\n"
            return subject["commonName"]


def test_certificate_rotation_by_config_set(binary):
    if not have_openssl():
        return
    certs = make_certs()
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "new.key",
                    "-out", "new.csr", "-subj", "/CN=rotated"], cwd=certs, check=True,
                   capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", "new.csr", "-CA", "ca.crt", "-CAkey",
                    "ca.key", "-CAcreateserial", "-out", "new.crt", "-days", "2", "-extfile",
                    "ext.cnf"], cwd=certs, check=True, capture_output=True)
    with tls_server(binary, certs) as s:
        assert peer_common_name(s.tls_port, certs) == "server"
        old = redis.Redis(port=s.tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"),
                          ssl_certfile=os.path.join(certs, "client.crt"),
                          ssl_keyfile=os.path.join(certs, "client.key"))
        assert old.ping()
        r = s.redis()
        # Half a pair is refused (the key does not match), and nothing changes.
        try:
            r.config_set("tls-cert-file", os.path.join(certs, "new.crt"))
            raise AssertionError("a certificate without its key was accepted")
        except redis.exceptions.ResponseError as e:
            # Redis's reply; the reason goes to the log.
            assert str(e) == ("CONFIG SET failed (possibly related to argument 'tls-cert-file') - "
                              "Unable to update TLS configuration. Check server logs."), str(e)
            assert "key values mismatch" in s.read_log()
        assert r.config_get("tls-cert-file")["tls-cert-file"] == os.path.join(certs,
                                                                              "server.crt")
        assert peer_common_name(s.tls_port, certs) == "server"
        assert r.execute_command("CONFIG", "SET", "tls-cert-file", os.path.join(certs, "new.crt"),
                                 "tls-key-file", os.path.join(certs, "new.key"))
        assert peer_common_name(s.tls_port, certs) == "rotated"
        assert old.ping()  # open connections keep their session
        try:
            r.config_set("tls-cert-file", "/nonexistent.crt")
            raise AssertionError("an unusable certificate was accepted")
        except redis.exceptions.ResponseError:
            pass
        assert r.config_get("tls-cert-file")["tls-cert-file"] == os.path.join(certs, "new.crt")
        assert peer_common_name(s.tls_port, certs) == "rotated"
    shutil.rmtree(certs)


def test_dh_params_and_a_dhe_cipher(binary):
    if not have_openssl():
        return
    import ssl
    import socket
    certs = make_certs()
    subprocess.run(["openssl", "dhparam", "-dsaparam", "-out", "dh.pem", "2048"], cwd=certs,
                   check=True, capture_output=True)
    with tls_server(binary, certs, "--tls-dh-params-file", os.path.join(certs, "dh.pem"),
                    "--tls-protocols", "TLSv1.2", "--tls-ciphers",
                    "DHE-RSA-AES128-GCM-SHA256") as s:
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        ctx.load_cert_chain(os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("DHE-RSA-AES128-GCM-SHA256")
        with socket.create_connection(("127.0.0.1", s.tls_port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.cipher()[0] == "DHE-RSA-AES128-GCM-SHA256"
                tls.sendall(b"PING\r\n")
                assert tls.recv(100) == b"+PONG\r\n"
    try:
        tls_server(binary, certs, "--tls-dh-params-file", os.path.join(certs, "ca.crt")).stop()
        raise AssertionError("started with a certificate as DH parameters")
    except RuntimeError as e:
        assert "Failed to load DH params file" in str(e), str(e)[-300:]
    shutil.rmtree(certs)


def test_bad_tls_configuration_refuses_to_start(binary):
    if not have_openssl():
        return
    certs = make_certs()
    for extra, reason in [
            (["--tls-key-file", "/nonexistent.key"], "Failed to load private key"),
            (["--tls-protocols", "SSLv3"], "Invalid tls-protocols"),
            (["--tls-key-file", os.path.join(certs, "server-enc.key"), "--tls-key-file-pass",
              "wrong"], "Failed to load private key")]:
        try:
            tls_server(binary, certs, *extra).stop()
            raise AssertionError("started with %s" % extra)
        except RuntimeError as e:
            assert reason in str(e), (extra, str(e)[-300:])
    shutil.rmtree(certs)


if __name__ == "__main__":
    run_tests(globals())
