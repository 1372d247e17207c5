import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import {
  DsseEnvelope,
  IN_TOTO_PAYLOAD_TYPE,
  Statement,
  type VerificationPredicate,
} from '../../../protocol/receipts';
import {
  RECEIPT_KEY_FILE,
  RECEIPT_PUBLIC_KEY_FILE,
  ReceiptStore,
  issueReceipt,
  loadOrCreateSigningKey,
  pae,
  verifyReceipt,
  type SigningKey,
} from '../../../server/verify/receipts';

const sha = (s: string | Buffer) => crypto.createHash('sha256').update(s).digest('hex');
const mode = (p: string) => fs.statSync(p).mode & 0o777;
const posix = process.platform !== 'win32';

function predicate(over: Partial<VerificationPredicate> = {}): VerificationPredicate {
  return {
    fixer: { kind: 'project-fixer', name: 'eslint --fix' },
    diagnosticsBefore: [
      {
        checker: 'tsc',
        diagnostics: [
          { file: 'src/a.ts', line: 3, column: 7, code: 'TS2322', message: 'bad type', severity: 'error' },
        ],
      },
    ],
    diagnosticsAfter: [{ checker: 'tsc', diagnostics: [] }],
    commands: [
      {
        argv: ['npx', 'tsc', '--noEmit'],
        command: 'npx tsc --noEmit',
        cwd: '.',
        exitCode: 0,
        durationMs: 1200,
        logSha256: sha('log'),
      },
      {
        argv: null,
        command: 'npm test',
        cwd: 'packages/app',
        exitCode: 0,
        durationMs: 3400,
        counts: { passed: 12, failed: 0, skipped: 1 },
        logSha256: sha('log2'),
      },
    ],
    tests: { before: { passed: 11, failed: 1, skipped: 1 }, after: { passed: 12, failed: 0, skipped: 1 } },
    profileSha256: sha('profile'),
    navi: { version: 'dev' },
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:00:05.000Z',
    taskId: uuidv7(),
    result: 'verified',
    ...over,
  };
}

/** Re-signs an envelope's payload (optionally changed) with `key`, under `keyid`. */
function resign(payload: Buffer, key: crypto.KeyObject, keyid: string): DsseEnvelope {
  const sig = crypto.sign(null, pae(IN_TOTO_PAYLOAD_TYPE, payload), key);
  return {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid, sig: sig.toString('base64') }],
  };
}

describe('verification receipts', () => {
  let tmp: string;
  let ws: string;
  let stateDir: string;
  let key: SigningKey;

  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-receipts-')));
    ws = path.join(tmp, 'ws');
    stateDir = path.join(tmp, 'state', 'navi');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'src', 'a.ts'), 'export const a: number = 1;\n');
    fs.writeFileSync(path.join(ws, 'README.md'), '# hello\n');
    fs.writeFileSync(path.join(tmp, 'outside.txt'), 'secret\n');
    key = loadOrCreateSigningKey(stateDir, { workspaceRoots: [ws] });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const issue = (over: Partial<VerificationPredicate> = {}, files = ['src/a.ts', 'README.md']) =>
    issueReceipt({ workspaceRoot: ws, files, predicate: predicate(over), key });
  const check = (envelope: unknown, keys: (crypto.KeyObject | string)[] = [key.publicKey]) =>
    verifyReceipt(envelope, { publicKeys: keys, workspaceRoot: ws });

  it('issues a receipt that verifies as verified, with sorted sha256 subjects', async () => {
    const r = await issue({}, ['src/a.ts', './README.md', 'src/../src/a.ts']);
    assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    assert.equal(r.envelope.payloadType, 'application/vnd.in-toto+json');
    assert.equal(r.envelope.signatures[0]!.keyid, key.keyid);
    assert.deepEqual(
      r.statement.subject,
      ['README.md', 'src/a.ts'].map((n) => ({
        name: n,
        digest: { sha256: sha(fs.readFileSync(path.join(ws, n))) },
      })),
    );
    assert.equal(r.statement._type, 'https://in-toto.io/Statement/v1');
    assert.equal(r.statement.predicateType, 'https://navi.dev/verification/v1');
    assert.deepEqual(JSON.parse(Buffer.from(r.envelope.payload, 'base64').toString()), r.statement);
    const v = await check(r.envelope);
    assert.equal(v.status, 'verified', v.reasons.join('\n'));
    assert.deepEqual(v.reasons, []);
    assert.equal(v.keyid, key.keyid);
    assert.ok(v.subjects.every((s) => s.actual === s.expected));
    // as JSON text and as the .pub.pem text too
    const pem = fs.readFileSync(path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE), 'utf8');
    assert.equal((await check(JSON.stringify(r.envelope), [pem])).status, 'verified');
    // without a workspace the files are not compared
    const nofiles = await verifyReceipt(r.envelope, { publicKeys: [key.publicKey] });
    assert.equal(nofiles.status, 'verified');
    assert.equal(nofiles.filesChecked, false);
    assert.match(nofiles.reasons[0]!, /not compared/);
  });

  it('a receipt whose predicate says failed verifies as failed', async () => {
    const r = await issue({ result: 'failed', reason: '1 test still fails' });
    const v = await check(r.envelope);
    assert.equal(v.status, 'failed');
    assert.deepEqual(v.reasons, ['1 test still fails']);
  });

  it('is stale once a subject file is edited or deleted', async () => {
    const r = await issue();
    fs.appendFileSync(path.join(ws, 'src', 'a.ts'), '// later\n');
    let v = await check(r.envelope);
    assert.equal(v.status, 'stale');
    assert.deepEqual(v.reasons, ['src/a.ts changed since the receipt was issued.']);
    const a = v.subjects.find((s) => s.path === 'src/a.ts')!;
    assert.notEqual(a.actual, a.expected);
    assert.equal(a.actual, sha(fs.readFileSync(path.join(ws, 'src', 'a.ts'))));

    fs.rmSync(path.join(ws, 'README.md'));
    v = await check(r.envelope);
    assert.equal(v.status, 'stale');
    assert.ok(v.reasons.includes('README.md is missing.'), v.reasons.join('\n'));
    assert.equal(v.subjects.find((s) => s.path === 'README.md')!.actual, null);
  });

  it('a subject replaced by a symlink pointing out of the workspace is stale', async function () {
    if (!posix) this.skip();
    const r = await issue();
    fs.rmSync(path.join(ws, 'README.md'));
    fs.symlinkSync(path.join(tmp, 'outside.txt'), path.join(ws, 'README.md'));
    const v = await check(r.envelope);
    assert.equal(v.status, 'stale');
    assert.match(v.reasons.join('\n'), /README\.md cannot be checked: .*outside the workspace/);
  });

  it('flipping a payload byte, a signature byte or the payloadType makes it invalid', async () => {
    const r = await issue();
    const body = Buffer.from(r.envelope.payload, 'base64');
    body[body.length >> 1]! ^= 0x01;
    const payload = { ...r.envelope, payload: body.toString('base64') };
    assert.deepEqual((await check(payload)).reasons, ['No signature verifies with a trusted key.']);

    const sig = Buffer.from(r.envelope.signatures[0]!.sig, 'base64');
    sig[0]! ^= 0x80;
    const signature = { ...r.envelope, signatures: [{ keyid: key.keyid, sig: sig.toString('base64') }] };
    assert.equal((await check(signature)).status, 'invalid');

    const type = { ...r.envelope, payloadType: 'application/json' };
    const v = await check(type);
    assert.equal(v.status, 'invalid');
    assert.match(v.reasons[0]!, /payload type/);
  });

  it('a receipt signed by another key is invalid, even when it claims the trusted keyid', async () => {
    const other = crypto.generateKeyPairSync('ed25519');
    const r = await issue();
    const body = Buffer.from(r.envelope.payload, 'base64');
    for (const keyid of ['', key.keyid, 'someone-else']) {
      const v = await check(resign(body, other.privateKey, keyid));
      assert.equal(v.status, 'invalid', keyid);
    }
    // and the genuine receipt is invalid for someone who trusts only the other key
    assert.equal((await check(r.envelope, [other.publicKey])).status, 'invalid');
  });

  it('a tampered statement re-signed by another key is invalid', async () => {
    const other = crypto.generateKeyPairSync('ed25519');
    const r = await issue({ result: 'failed', reason: 'tests fail' });
    const forged = { ...r.statement, predicate: { ...r.statement.predicate, result: 'verified' } };
    delete (forged.predicate as { reason?: string }).reason;
    const env = resign(Buffer.from(JSON.stringify(forged)), other.privateKey, key.keyid);
    const v = await check(env);
    assert.equal(v.status, 'invalid');
    assert.equal(v.statement, undefined);
  });

  it('a statement that fails its schema is invalid even with a good signature', async () => {
    const r = await issue();
    const bad = { ...r.statement, predicate: { ...r.statement.predicate, extra: 1 } };
    const v = await check(resign(Buffer.from(JSON.stringify(bad)), key.privateKey, key.keyid));
    assert.equal(v.status, 'invalid');
    assert.match(v.reasons[0]!, /schema/);
    const escape = {
      ...r.statement,
      subject: [{ name: '../outside.txt', digest: { sha256: sha('secret\n') } }],
    };
    const w = await check(resign(Buffer.from(JSON.stringify(escape)), key.privateKey, key.keyid));
    assert.equal(w.status, 'invalid');
  });

  it('creates the key file 0600 in a 0700 folder and reuses it', async function () {
    const file = path.join(stateDir, RECEIPT_KEY_FILE);
    assert.match(fs.readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    if (posix) {
      assert.equal(mode(file), 0o600);
      assert.equal(mode(stateDir), 0o700);
    }
    const spki = key.publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(key.keyid, sha(spki));
    const again = loadOrCreateSigningKey(stateDir);
    assert.equal(again.keyid, key.keyid);
    assert.equal(fs.readFileSync(path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE), 'utf8'), key.publicKeyPem);
    assert.deepEqual(
      fs.readdirSync(stateDir).sort(),
      [RECEIPT_KEY_FILE, RECEIPT_PUBLIC_KEY_FILE].sort(),
      'no temp files left',
    );
    // a damaged or missing public key file is rewritten from the private key
    fs.writeFileSync(path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE), 'nope');
    assert.equal(loadOrCreateSigningKey(stateDir).publicKeyPem, key.publicKeyPem);
    assert.equal(fs.readFileSync(path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE), 'utf8'), key.publicKeyPem);
  });

  it('refuses a key file readable by others, and a symlinked key file', function () {
    if (!posix) this.skip();
    const file = path.join(stateDir, RECEIPT_KEY_FILE);
    fs.chmodSync(file, 0o644);
    assert.throws(
      () => loadOrCreateSigningKey(stateDir),
      /permissions 0644; it must not be accessible beyond 0600/,
    );
    fs.chmodSync(file, 0o600);
    const elsewhere = path.join(tmp, 'k.pem');
    fs.renameSync(file, elsewhere);
    fs.symlinkSync(elsewhere, file);
    assert.throws(() => loadOrCreateSigningKey(stateDir), /symbolic link/);
  });

  it('refuses a state folder inside the workspace', async () => {
    for (const inside of [path.join(ws, '.navi-state'), ws, path.join(ws, 'src', 'deep', 'er')]) {
      assert.throws(() => loadOrCreateSigningKey(inside, { workspaceRoots: [ws] }), /inside the workspace/);
    }
    assert.ok(!fs.existsSync(path.join(ws, '.navi-state')), 'nothing created');
    // a key whose folder is inside the workspace it signs for is refused at issue and save too
    const wsKey = loadOrCreateSigningKey(path.join(ws, '.navi-state'));
    await assert.rejects(
      issueReceipt({ workspaceRoot: ws, files: ['README.md'], predicate: predicate(), key: wsKey }),
      /inside the workspace/,
    );
    const r = await issue();
    await assert.rejects(new ReceiptStore(path.join(ws, '.navi-state')).save(r, ws), /inside the workspace/);
  });

  it('refuses subjects outside the workspace: .., absolute, symlink out', async () => {
    const refused = ['../outside.txt', 'src/../../outside.txt', path.join(tmp, 'outside.txt'), '', '.'];
    if (posix) {
      fs.symlinkSync(path.join(tmp, 'outside.txt'), path.join(ws, 'link.txt'));
      fs.symlinkSync(tmp, path.join(ws, 'dirlink'));
      refused.push('link.txt', 'dirlink/outside.txt');
    }
    for (const f of refused) {
      await assert.rejects(issue({}, [f]), /outside the workspace|workspace-relative/, f);
    }
    await assert.rejects(issue({}, ['src']), /not a regular file/);
    await assert.rejects(issue({}, []), /at least one/);
    if (posix) {
      fs.symlinkSync(path.join(ws, 'README.md'), path.join(ws, 'inner-link.md'));
      const r = await issue({}, ['inner-link.md']);
      assert.equal(r.statement.subject[0]!.name, 'inner-link.md');
      assert.equal((await check(r.envelope)).status, 'verified');
    }
  });

  it('never throws on hostile envelopes', async () => {
    const r = await issue();
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const deepText = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const hostile: [unknown, RegExp][] = [
      ['not json {', /not JSON/],
      ['', /not JSON/],
      [null, /malformed/],
      [42, /malformed/],
      [[], /malformed/],
      [{}, /malformed/],
      [deepText, /not JSON|malformed/],
      [`{"payloadType":${deepText}}`, /not JSON|malformed/],
      [{ ...r.envelope, payloadType: deep }, /malformed/],
      [{ ...r.envelope, extra: deep }, /malformed/],
      [{ ...r.envelope, payload: 'A'.repeat(10 << 20) }, /larger than 4 MiB/],
      [JSON.stringify({ ...r.envelope, payload: 'A'.repeat(10 << 20) }), /larger than/],
      [{ ...r.envelope, payload: 'A'.repeat(5_600_000) }, /larger than 4 MiB|malformed/],
      [{ ...r.envelope, payload: '!!!not base64' }, /malformed/],
      [{ ...r.envelope, payload: 'AAAAA' }, /base64/],
      [{ ...r.envelope, signatures: [] }, /malformed/],
      [{ ...r.envelope, signatures: [{ sig: '@@' }] }, /malformed/],
      [{ ...r.envelope, signatures: [{ keyid: key.keyid, sig: 'AAAA' }] }, /No signature verifies/],
      [{ ...r.envelope, signatures: Array(1000).fill(r.envelope.signatures[0]) }, /malformed/],
      [resign(Buffer.from(deepText), key.privateKey, key.keyid), /schema|not UTF-8 JSON/],
      [resign(Buffer.from([0xff, 0xfe, 0x00]), key.privateKey, key.keyid), /not UTF-8 JSON/],
      [resign(Buffer.from('"just a string"'), key.privateKey, key.keyid), /schema/],
    ];
    for (const [i, [env, reason]] of hostile.entries()) {
      const v = await check(env);
      const label = `case ${i}`;
      assert.equal(v.status, 'invalid', label);
      assert.match(v.reasons[0]!, reason, label);
      assert.ok(v.reasons[0]!.length <= 1100, 'bounded reason');
    }
    const unusable = await check(r.envelope, ['not a pem', crypto.generateKeyPairSync('x25519').publicKey]);
    assert.deepEqual(
      [unusable.status, unusable.reasons],
      ['invalid', ['No trusted Ed25519 public key was given.']],
    );
  });

  it('stores receipts atomically, 0600, and lists them per workspace, newest first', async () => {
    const store = new ReceiptStore(stateDir);
    const a = await issue();
    const b = await issue({ result: 'failed' });
    await store.save(a, ws);
    await store.save(b, ws);
    const file = path.join(stateDir, 'receipts', `${a.id}.json`);
    if (posix) assert.equal(mode(file), 0o600);
    assert.deepEqual((await store.get(a.id))?.envelope, a.envelope);
    assert.equal(await store.get('../receipt-key'), undefined);
    assert.equal(await store.get(uuidv7()), undefined);
    assert.deepEqual(
      (await store.list(ws)).map((x) => x.id),
      [b.id, a.id],
    );
    assert.deepEqual(await store.list(tmp), []);
    fs.writeFileSync(path.join(stateDir, 'receipts', `${uuidv7()}.json`), '{damaged');
    assert.equal((await store.list(ws)).length, 2);
    assert.deepEqual(
      fs.readdirSync(path.join(stateDir, 'receipts')).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  it('verifies by hand, outside NAVI: PAE + Ed25519 with the .pub.pem (docs/receipts.md)', async () => {
    const r = await issue();
    const envFile = path.join(tmp, 'receipt.json');
    fs.writeFileSync(envFile, JSON.stringify(r.envelope));
    // The recipe: decode, build "DSSEv1 <len(type)> <type> <len(body)> <body>", verify.
    const env = JSON.parse(fs.readFileSync(envFile, 'utf8'));
    const body = Buffer.from(env.payload, 'base64');
    const type = Buffer.from(env.payloadType);
    const message = Buffer.concat([
      Buffer.from(`DSSEv1 ${type.length} ${env.payloadType} ${body.length} `),
      body,
    ]);
    const pub = crypto.createPublicKey(fs.readFileSync(path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE)));
    assert.ok(crypto.verify(null, message, pub, Buffer.from(env.signatures[0].sig, 'base64')));
    const statement = Statement.parse(JSON.parse(body.toString('utf8')));
    for (const s of statement.subject) {
      assert.equal(sha(fs.readFileSync(path.join(ws, s.name))), s.digest.sha256);
    }
    // and with openssl, when it is there (OpenSSL 3: pkeyutl -rawin)
    let openssl = false;
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      openssl = true;
    } catch {
      // no openssl on this machine
    }
    if (openssl) {
      fs.writeFileSync(path.join(tmp, 'pae.bin'), message);
      fs.writeFileSync(path.join(tmp, 'sig.bin'), Buffer.from(env.signatures[0].sig, 'base64'));
      const args = ['pkeyutl', '-verify', '-pubin', '-inkey', path.join(stateDir, RECEIPT_PUBLIC_KEY_FILE)];
      args.push('-rawin', '-in', path.join(tmp, 'pae.bin'), '-sigfile', path.join(tmp, 'sig.bin'));
      assert.match(execFileSync('openssl', args, { encoding: 'utf8' }), /Signature Verified Successfully/);
      message[message.length - 2]! ^= 1;
      fs.writeFileSync(path.join(tmp, 'pae.bin'), message);
      assert.throws(() => execFileSync('openssl', args, { stdio: 'pipe' }));
    }
  });
});
