import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throw-away TLS identity for a test server on 127.0.0.1, and the files a child process needs. */
export interface SelfSignedCert {
  /** The certificate in PEM; it is its own CA, so a client trusts it by passing it as `ca`. */
  certPem: string;
  /** The private key in PEM (P-256). Never leaves the test's temporary folder. */
  keyPem: string;
  /** The certificate on disk, for `NODE_EXTRA_CA_CERTS` in a spawned process. */
  certPath: string;
  /** Deletes the temporary folder. Idempotent. */
  remove(): void;
}

/**
 * Makes a self-signed certificate for `127.0.0.1` and `localhost`, valid one day, with
 * /usr/bin/openssl (or the first openssl on PATH). The Azure SDK's bearer-token policy refuses
 * plain http, so fakes of Azure services have to speak TLS; the test then trusts exactly this
 * certificate (`tlsOptions: { ca }` in-process, `NODE_EXTRA_CA_CERTS` for a child), never
 * `NODE_TLS_REJECT_UNAUTHORIZED=0`.
 */
export function makeSelfSignedCert(): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-tls-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  const openssl = fs.existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return {
    certPem: fs.readFileSync(certPath, 'utf8'),
    keyPem: fs.readFileSync(keyPath, 'utf8'),
    certPath,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
