/**
 * What a command may touch outside itself, injected so commands can be tested in-process.
 */
import { homedir } from 'node:os';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input (for `apply -f -`). */
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  now(): number;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: () => readAll(process.stdin),
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    now: () => Date.now(),
  };
}
