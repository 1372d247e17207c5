import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import {
  answersHttp,
  appProcesses,
  canConnect,
  decodeProcAddress,
  listeningPorts,
  parseProcNetTcp,
} from '../../../server/tasks/start/listeningPorts';
import { waitFor } from '../../fixtures/processes';

describe('start/listeningPorts', () => {
  it('decodes /proc/net/tcp addresses (host byte order words)', function () {
    if (os.endianness() !== 'LE') this.skip();
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('00000000'), '0.0.0.0');
    assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::');
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '::ffff:7f00:1');
  });

  it('reads only LISTEN entries with their port and inode', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:0BB8 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 515151 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    assert.deepEqual(parseProcNetTcp(text), [{ address: '127.0.0.1', port: 3000, inode: '424242' }]);
  });

  describe('on this machine (Linux /proc)', () => {
    before(function () {
      if (process.platform !== 'linux') this.skip();
    });

    it('finds the port a process tree listens on, by the marker in its environment', async () => {
      const value = `test-${process.pid}-${Date.now()}`;
      // A shell (marked) whose child clears its environment and listens: found through its parent.
      const child = spawn(
        'sh',
        [
          '-c',
          `env -i ${process.execPath} -e "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })"`,
        ],
        // Its own process group: the finally below ends the shell and the listener together (the
        // listener, once orphaned, could no longer be found by its parent, and its open stdout
        // would keep mocha from exiting).
        {
          env: { ...process.env, NAVI_APP_RUN: value },
          stdio: ['ignore', 'pipe', 'inherit'],
          detached: true,
        },
      );
      try {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        await waitFor(() => /\d+\n/.test(out), 'the port');
        const port = Number(out.trim());
        const pids = appProcesses({ name: 'NAVI_APP_RUN', value });
        assert.equal(pids.length, 2, 'the shell and its child');
        const sockets = listeningPorts(pids);
        assert.deepEqual(
          sockets?.map((s) => [s.port, s.address, s.isolated]),
          [[port, '127.0.0.1', false]],
        );
        assert.equal(await canConnect('127.0.0.1', port), true);
        assert.equal(await answersHttp('127.0.0.1', port, 300), false, 'a plain TCP server is not HTTP');
      } finally {
        for (const pid of appProcesses({ name: 'NAVI_APP_RUN', value })) process.kill(pid, 'SIGKILL');
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }
    });

    it('says a closed port refuses and an HTTP server answers', async () => {
      const http = await import('node:http');
      const server = http.createServer((_, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      assert.equal(await answersHttp('127.0.0.1', port), true);
      assert.deepEqual(
        listeningPorts([process.pid])?.some((s) => s.port === port),
        true,
      );
      await new Promise((resolve) => server.close(resolve));
      assert.equal(await canConnect('127.0.0.1', port), false);
    });
  });
});
