// Certificates for TLS tests, made at test time with openssl: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate for mTLS. Made once per process.
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './util.js';

/** PEM material for a TLS test: pass `ca` (and `cert`/`key` for mTLS) to the client. */
export interface TlsMaterial {
  /** The test CA that signed both certificates (PEM). */
  ca: string;
  /** Client certificate (PEM), signed by `ca`. */
  cert: string;
  /** Client private key (PEM). */
  key: string;
  /** File paths, for the server's configuration. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

let material: Promise<TlsMaterial> | undefined;

/** Returns this process's test certificates, generating them on first use. */
export function testCertificates(): Promise<TlsMaterial> {
  material ??= generate();
  return material;
}

async function generate(): Promise<TlsMaterial> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pyrsedis-tls-'));
  // The keys go with the process (they were left in /tmp by the hundred).
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const f = (name: string) => path.join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    ...key,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '3',
    '-subj',
    '/CN=pyrsedis test CA',
  ]);
  await writeFile(
    f('server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    await run('openssl', [
      'req',
      '-new',
      ...key,
      '-keyout',
      f(`${who}.key`),
      '-out',
      f(`${who}.csr`),
      '-subj',
      `/CN=pyrsedis-${who}`,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.crt`),
      '-days',
      '3',
      '-extfile',
      f(`${who}.ext`),
    ]);
  }
  return {
    ca: await readFile(f('ca.crt'), 'utf8'),
    cert: await readFile(f('client.crt'), 'utf8'),
    key: await readFile(f('client.key'), 'utf8'),
    files: {
      ca: f('ca.crt'),
      serverCert: f('server.crt'),
      serverKey: f('server.key'),
      clientCert: f('client.crt'),
      clientKey: f('client.key'),
    },
  };
}
