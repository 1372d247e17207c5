import assert from 'node:assert/strict';
import { connectHosts, parseReadinessLine, stripAnsi } from '../../../server/tasks/start/readiness';
import { LineTail } from '../../../server/tasks/start/tail';

// What a started app's output lines say about where it serves, as the frameworks print it.

describe('start/readiness', () => {
  const url = (line: string) => {
    const hint = parseReadinessLine(line);
    assert.equal(hint?.kind, 'url', `a URL in: ${line}`);
    return hint.url;
  };
  const listening = (line: string) => {
    const hint = parseReadinessLine(line);
    assert.equal(hint?.kind, 'listening-line', `a listening line: ${line}`);
    return hint.port;
  };

  it('reads local URLs as frameworks print them', () => {
    assert.equal(url('Listening on http://127.0.0.1:4321'), 'http://127.0.0.1:4321/');
    assert.equal(url('Server running at http://localhost:3000/'), 'http://localhost:3000/');
    assert.equal(
      url('ready - started server on 0.0.0.0:3000, url: http://localhost:3000'),
      'http://localhost:3000/',
    );
    assert.equal(url('  ➜  Local:   http://localhost:5173/'), 'http://localhost:5173/'); // Vite
    assert.equal(url('Starting development server at http://127.0.0.1:8000/'), 'http://127.0.0.1:8000/'); // Django
    assert.equal(url(' * Running on http://127.0.0.1:5000'), 'http://127.0.0.1:5000/'); // Flask
    assert.equal(
      url('INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)'),
      'http://localhost:8000/',
    );
    assert.equal(url('Development Server (http://127.0.0.1:8080) started'), 'http://127.0.0.1:8080/'); // PHP
    assert.equal(url('App listening at http://[::1]:3000/app.'), 'http://[::1]:3000/app');
    assert.equal(url('open https://localhost:8443/admin'), 'https://localhost:8443/admin');
    assert.equal(
      url('Web Server is available at http://localhost:1313/ (bind address 127.0.0.1)'),
      'http://localhost:1313/',
    );
  });

  it('reads the port Vite prints in bold (ANSI sequences inside the URL)', () => {
    assert.equal(
      url(
        '  \x1b[32m➜\x1b[39m  \x1b[1mLocal\x1b[22m:   \x1b[36mhttp://localhost:\x1b[1m5173\x1b[22m/\x1b[39m',
      ),
      'http://localhost:5173/',
    );
    assert.equal(stripAnsi('\x1b]8;;http://x\x07link\x1b]8;;\x07'), 'link');
  });

  it('shows a wildcard bind as localhost and connects to loopback for it', () => {
    assert.equal(url('Listening on http://0.0.0.0:3000'), 'http://localhost:3000/');
    assert.equal(url('Listening on http://[::]:3000'), 'http://localhost:3000/');
    assert.deepEqual(connectHosts('0.0.0.0'), ['127.0.0.1']);
    assert.deepEqual(connectHosts('::'), ['::1', '127.0.0.1']);
    assert.deepEqual(connectHosts('localhost'), ['127.0.0.1', '::1']);
    assert.deepEqual(connectHosts(undefined), ['127.0.0.1', '::1']);
  });

  it('reads "listening" lines without a URL', () => {
    assert.equal(listening('Server listening on port 3000'), 3000);
    assert.equal(listening('Example app listening on port 8080!'), 8080);
    assert.equal(listening('Listening on 4000'), 4000);
    assert.equal(listening('listening at :9000'), 9000);
    assert.equal(listening('* Listening on tcp://0.0.0.0:3000'), 3000); // Puma
    assert.equal(listening("Tomcat started on port(s): 8080 (http) with context path ''"), 8080); // Spring Boot
    assert.equal(listening('Netty started on port 8081'), 8081);
    assert.equal(listening('2024/05/01 12:00:00 server running on localhost:8090'), 8090);
    assert.equal(
      listening('** Angular Live Development Server is listening on localhost:4200, open your browser'),
      4200,
    );
    assert.equal(parseReadinessLine('Server listening on port 3000')?.host, undefined);
    assert.equal(parseReadinessLine('listening on 0.0.0.0:8000')?.host, '0.0.0.0');
  });

  it('ignores lines that are not about the app being ready', () => {
    for (const line of [
      'Debugger listening on ws://127.0.0.1:9229/0f2c-1a',
      'Proxying /api to http://localhost:8080',
      'See https://nextjs.org/docs for more',
      'compiling…',
      'ready in 342 ms',
      'Started at 12:30:45',
      'Compiled successfully in 1200ms',
      'webpack 5.90.0 compiled with 2 warnings',
      'Connecting to postgres://localhost:5432/db',
      'Listening on http://example.com:3000',
      'listening on 10.255.255.1:3000',
      '',
    ])
      assert.equal(parseReadinessLine(line), undefined, line);
  });
});

describe('start/tail', () => {
  it('keeps the last lines of both streams, finished lines first, without ANSI sequences', () => {
    const tail = new LineTail(3);
    assert.deepEqual(tail.push('a\nb', 'stdout'), { lines: ['a'], partial: 'b' });
    assert.deepEqual(tail.push('\x1b[31merr\x1b[0m\r\n', 'stderr').lines, ['err']);
    assert.deepEqual(tail.push('c\nd\n', 'stdout').lines, ['bc', 'd']);
    assert.equal(tail.text(), 'err\nbc\nd');
    tail.push('half', 'stdout');
    assert.equal(tail.text(2), 'd\nhalf');
  });

  it('is bounded in characters and cuts endless lines', () => {
    const tail = new LineTail(200, 1000, 100);
    const { lines } = tail.push('x'.repeat(250), 'stdout');
    assert.deepEqual(
      lines.map((l) => l.length),
      [100, 100],
    );
    for (let i = 0; i < 100; i++) tail.push(`${'y'.repeat(50)}\n`, 'stdout');
    assert.ok(tail.text().length <= 1100);
    assert.match(tail.text(), /y{50}$/);
  });
});
