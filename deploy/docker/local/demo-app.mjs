// The compose topology's demo app, and its stand-in for an external HTTP service: answers every request
// with its name, the request (method, path, headers) and the address the connection came from, on
// APP_PORT (8080) on every address. /status/N answers with status N.
import { createServer } from 'node:http';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: the container's environment, not a turbo task's
const name = process.env.APP_NAME || 'web';
// biome-ignore lint/suspicious/noUndeclaredEnvVars: the container's environment, not a turbo task's
const port = Number(process.env.APP_PORT || 8080);
createServer((req, res) => {
  req.resume();
  const status = /^\/status\/(\d{3})$/.exec(req.url ?? '');
  if (status) {
    res.writeHead(Number(status[1]));
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify({ app: name, method: req.method, path: req.url, headers: req.headers, origin: req.socket.remoteAddress }, null, 2)}\n`);
}).listen(port, '0.0.0.0', () => console.log(`${name} listening on :${port}`));
process.on('SIGTERM', () => process.exit(0));
