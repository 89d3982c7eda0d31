// ioredis defineCommand against tessera-server: `node define_command.js PORT`.
// Exits 0 when every check holds; prints the first failure and exits 1 otherwise.
// Run by tests/integration/test_ioredis.py (which skips when node or ioredis is missing).
'use strict';
const assert = require('assert');
const Redis = require('ioredis');

const port = Number(process.argv[2]);
const ACCOUNTS = 8;
const START = 1000;

// Moves ARGV[1] from KEYS[1] to KEYS[2] with GET/SET: a lost update shows in the total.
const TRANSFER = `
local a = tonumber(redis.call('GET', KEYS[1]))
local b = tonumber(redis.call('GET', KEYS[2]))
redis.call('SET', KEYS[1], a - ARGV[1])
redis.call('SET', KEYS[2], b + ARGV[1])
return {a - ARGV[1], b + ARGV[1]}`;
// Declares one key and builds the other's name.
const TRANSFER_BUILT = `
local a = tonumber(redis.call('GET', KEYS[1]))
redis.call('SET', KEYS[1], a - ARGV[1])
local other = ARGV[2] .. ARGV[3]
redis.call('SET', other, tonumber(redis.call('GET', other)) + ARGV[1])
return 1`;

function client() {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
  r.defineCommand('transfer', { numberOfKeys: 2, lua: TRANSFER });
  r.defineCommand('transferBuilt', { numberOfKeys: 1, lua: TRANSFER_BUILT });
  // No numberOfKeys: the caller passes it, as with EVAL.
  r.defineCommand('echoKeys', { lua: 'return {KEYS[1], ARGV[1]}' });
  return r;
}

async function main() {
  const admin = client();
  await admin.flushall();
  const keys = [...Array(ACCOUNTS).keys()].map((i) => `acct:${i}`);
  await admin.mset(...keys.flatMap((k) => [k, START]));

  // One call: ioredis sends EVALSHA, gets NOSCRIPT, falls back to EVAL.
  assert.deepStrictEqual(await admin.transfer('acct:0', 'acct:1', 5), [995, 1005]);
  assert.deepStrictEqual(await admin.echoKeys(1, 'k', 'v'), ['k', 'v']);
  // In a pipeline and in MULTI.
  const piped = await admin.pipeline().transfer('acct:1', 'acct:0', 5).echoKeys(1, 'x', 'y').exec();
  assert.deepStrictEqual(piped.map(([err, v]) => { assert.ifError(err); return v; }),
    [[1000, 1000], ['x', 'y']]);
  const multi = await admin.multi().transfer('acct:2', 'acct:3', 1).transfer('acct:3', 'acct:2', 1).exec();
  assert.deepStrictEqual(multi.map(([, v]) => v), [[999, 1001], [1000, 1000]]);

  // Concurrent clients on declared and built key names; SCRIPT FLUSH halfway makes every
  // client fall back to EVAL again.
  const clients = [...Array(6).keys()].map(() => client());
  let runs = 0;
  const work = clients.map(async (r, idx) => {
    for (let n = 0; n < 300; n++) {
      const a = (idx + n) % ACCOUNTS;
      const b = (idx * 3 + n * 5 + 1) % ACCOUNTS;
      if (a === b) continue;
      if (n % 2 === 0) {
        await r.transfer(`acct:${a}`, `acct:${b}`, 3);
      } else {
        assert.strictEqual(await r.transferBuilt(`acct:${a}`, 2, 'acct:', b), 1);
      }
      runs++;
      if (idx === 0 && n === 150) await r.script('FLUSH');
    }
  });
  const bumps = (async () => {
    const r = client();
    for (let n = 0; n < 500; n++) await r.incrby(`acct:${n % ACCOUNTS}`, 1);
    r.disconnect();
  })();
  await Promise.all([...work, bumps]);
  const values = (await admin.mget(...keys)).map(Number);
  const total = values.reduce((s, v) => s + v, 0);
  assert.strictEqual(total, ACCOUNTS * START + 500, `total ${total} after ${runs} scripts`);
  clients.forEach((r) => r.disconnect());
  admin.disconnect();
  console.log(`ok: ${runs} scripts, total ${total}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
