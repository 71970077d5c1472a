// The demo app: answers every request with its name and the path, on APP_PORT (8080) on every address.
import { createServer } from 'node:http';

const name = process.env.APP_NAME || 'web';
const port = Number(process.env.APP_PORT || 8080);
createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify({ app: name, path: req.url })}\n`);
}).listen(port, '0.0.0.0', () => console.log(`${name} listening on :${port}`));
process.on('SIGTERM', () => process.exit(0));
