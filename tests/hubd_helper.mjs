// hubd_helper.mjs — socket-level clients for tests/hubd_test.sh that curl cannot play.
//   node hubd_helper.mjs raw PORT REQUEST        send REQUEST (JSON string, may hold \r\n) as raw
//                                                bytes; print the status line, then the body
//   node hubd_helper.mjs slow PORT N FILE        open N connections that send a request head one
//                                                byte every 200 ms and never finish it; write
//                                                "open" to FILE once all are connected; run until
//                                                killed
//   node hubd_helper.mjs idle PORT               connect, send nothing; print "closed" when the
//                                                server hangs up (or "open" after 10 s)
//   node hubd_helper.mjs keepalive PORT PID LOG ORIGIN
//                                                one keep-alive connection: a request, SIGHUP to
//                                                PID, wait for event=reload in LOG, a second
//                                                request on the same socket with ORIGIN; prints
//                                                "reused=<bool> acao=<header or ->"
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';

const [mode, port, ...rest] = process.argv.slice(2);

if (mode === 'raw') {
  const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(JSON.parse(rest[0])));
  let data = '';
  sock.setEncoding('latin1');
  sock.on('data', (d) => { data += d; });
  sock.setTimeout(5000, () => sock.destroy());
  const done = () => {
    const status = data.split('\r\n')[0] || 'no answer';
    const body = data.includes('\r\n\r\n') ? data.slice(data.indexOf('\r\n\r\n') + 4) : '';
    process.stdout.write(status + '\n' + body);
  };
  sock.on('close', done);
  sock.on('error', () => {});
} else if (mode === 'slow') {
  const n = Number(rest[0]);
  const head = 'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(4000);
  let open = 0;
  for (let i = 0; i < n; i++) {
    const sock = net.connect(Number(port), '127.0.0.1', () => {
      if (++open === n) fs.writeFileSync(rest[1], 'open\n');
      let k = 0;
      const t = setInterval(() => {
        if (k < head.length) sock.write(head[k++]);
      }, 200);
      sock.on('close', () => clearInterval(t));
    });
    sock.on('error', () => {});
  }
} else if (mode === 'idle') {
  const sock = net.connect(Number(port), '127.0.0.1');
  const t = setTimeout(() => { console.log('open'); sock.destroy(); }, 10000);
  sock.on('close', () => { clearTimeout(t); console.log('closed'); });
  sock.on('error', () => {});
} else if (mode === 'keepalive') {
  const [pid, log, origin] = rest;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (headers) => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/healthz', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ res, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
  const reloads = () => (fs.readFileSync(log, 'utf8').match(/event=reload /g) || []).length;
  (async () => {
    await get({});
    const before = reloads();
    process.kill(Number(pid), 'SIGHUP');
    for (let i = 0; i < 100 && reloads() === before; i++) await new Promise((r) => setTimeout(r, 50));
    const { res, reused } = await get({ Origin: origin });
    console.log(`reused=${reused} acao=${res.headers['access-control-allow-origin'] || '-'}`);
    agent.destroy();
  })().catch((e) => { console.log('error ' + e.message); process.exit(1); });
} else {
  console.error('usage: see the file header');
  process.exit(2);
}
