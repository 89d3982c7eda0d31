#!/usr/bin/env python3
"""RDB files both ways between Tessera and a Redis build of the version under test (7.2.4):
each server writes every type and encoding with SAVE, Redis's redis-check-rdb checks the file,
the other server loads it, and the two datasets (contents, OBJECT ENCODING, TTLs, function
libraries) must be the same.  Debian's redis-server is 7.0 and cannot read RDB 11, so this
needs a Redis 7.2 build outside the repository, e.g.

    git -C /work/.mirror/redis+redis/repo archive 7.2.4 | tar -x -C /tmp/redis-724
    make -C /tmp/redis-724 -j2 MALLOC=libc
    scripts/rdb-interop.py /tmp/redis-724/src build/tessera-server
"""
import os, subprocess, sys, time, tempfile, shutil
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'integration'))
import redis
from harness import free_port
R724 = os.path.join(sys.argv[1], 'redis-server')
TES = sys.argv[2]

def start(binary, d, extra=()):
    port = free_port()
    p = subprocess.Popen([binary, '--port', str(port), '--save', '', '--dir', d, '--logfile', os.path.join(d, 'log.' + os.path.basename(binary)), *extra])
    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping(); break
        except Exception: time.sleep(0.05)
    return p, r

def fill(r):
    r.set('str', 'hello'); r.set('int', 123); r.set('long', 'x' * 200); r.set('ttl', 'v', ex=1000)
    r.rpush('lp', 'a', 'b'); r.rpush('ql', *[f'e{i}' * 20 for i in range(3000)])
    r.sadd('is', 1, 2, 3); r.sadd('slp', 'a', 'b'); r.sadd('sht', *[f'm{i}' for i in range(600)])
    r.hset('hlp', mapping={'a': '1'}); r.hset('hht', mapping={f'f{i}': i for i in range(600)})
    r.zadd('zlp', {'a': 1.5}); r.zadd('zsl', {f'm{i}': i for i in range(300)})
    r.xadd('st', {'f': 'v'}, id='1-1'); r.xadd('st', {'f': 'w'}, id='2-1'); r.xgroup_create('st', 'g', id='0'); r.xreadgroup('g', 'c', {'st': '>'}, count=1)
    r.pfadd('hll', 'a', 'b')
    r.execute_command('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('one', function() return 1 end)")

def describe(r):
    out = {}
    for k in sorted(r.keys('*')):
        t = r.type(k).decode(); e = r.object('encoding', k)
        v = {'string': lambda: r.get(k), 'list': lambda: r.lrange(k, 0, -1), 'set': lambda: sorted(r.smembers(k)),
             'hash': lambda: sorted(r.hgetall(k).items()), 'zset': lambda: r.zrange(k, 0, -1, withscores=True),
             'stream': lambda: (r.xrange(k), r.xinfo_groups(k), r.xpending(k, 'g'))}[t]()
        out[k] = (t, e if k != b'hll' else None, r.ttl(k) > 0, v)
    out['functions'] = r.execute_command('FUNCTION', 'LIST')
    return out

for writer, reader in ((TES, R724), (R724, TES)):
    d = tempfile.mkdtemp()
    p, r = start(writer, d); fill(r); before = describe(r); r.save(); p.terminate(); p.wait()
    chk = subprocess.run([os.path.join(sys.argv[1], 'redis-check-rdb'), os.path.join(d, 'dump.rdb')], capture_output=True, text=True)
    print(os.path.basename(writer), '-> redis-check-rdb 7.2.4:', chk.stdout.strip().splitlines()[-4:] if chk.returncode == 0 else chk.stdout[-500:])
    p, r = start(reader, d); after = describe(r); p.terminate(); p.wait()
    diff = [k for k in before if before[k] != after.get(k)]
    print(os.path.basename(writer), '->', os.path.basename(reader), 'same contents and encodings:', not diff, diff[:5])
    if diff:
        sys.exit(1)
    for k in diff[:3]: print('  ', k, before[k][:2], after.get(k, (None,None))[:2])
    shutil.rmtree(d)
